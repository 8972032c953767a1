"""Request (`...In`) and response (`...Out`) schemas of the HTTP API, one module per resource."""
