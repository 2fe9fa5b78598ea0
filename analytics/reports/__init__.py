"""Reports generated in the background: the kinds (what rows a report has,
analytics.reports.kinds) and the file writers (CSV, XLSX, PDF,
analytics.reports.writers). Requesting, generating, mailing and purging are
services in analytics.services.reports; the pages and the API sit in
analytics.report_views and analytics.api.reports."""
