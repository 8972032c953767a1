"""The HTTP API's routers: one per resource, each added once in `api/urls.py`.

A router's command and query functions may live in separate modules registering on it (see
`cases/`); what the routers share lives beside them in `api/` (`command_support.py`,
`readside.py`). Every operation sets its `operation_id`: the ids are part of the HTTP
contract (clients generated from the OpenAPI document are named after them), so moving a
function between modules must not rename its operation.
"""
