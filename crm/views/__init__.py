"""Staff pages of crm, one module per area; each module lists its own
`urlpatterns`, gathered in crm/urls.py."""
