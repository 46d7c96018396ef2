"""Who may do what: users, API tokens, roles and scopes, PII masking and rate limits.

The core here takes and returns plain data; `opencdp.api.auth` turns a request into a
`Principal` and `require(permission)` checks it on every admin route.
"""
