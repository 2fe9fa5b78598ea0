"""(filled in by the CRM work)"""
