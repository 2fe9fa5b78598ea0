"""Staff pages of after-sales, one module per area; each module lists its
own `urlpatterns`, gathered in aftersales/urls.py."""
