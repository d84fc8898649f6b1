"""Examples for people who embed the search: a host page with the widget."""
