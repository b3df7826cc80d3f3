"""The CRM v3 objects and properties API: services and their HTTP face."""
