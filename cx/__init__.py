"""Multi-location customer-experience measurement: data, metrics and drill-downs."""
