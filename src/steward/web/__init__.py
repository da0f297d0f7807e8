"""Web shell: base templates, navigation, dashboard and error pages."""
