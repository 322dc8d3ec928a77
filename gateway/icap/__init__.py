"""The ICAP server: the company's own proxy hands AI requests and answers to Haetae.

A proxy that already decrypts TLS (Squid with ssl-bump, or a commercial one)
sends each request to ``REQMOD`` and each answer to ``RESPMOD`` (RFC 3507).
Requests to AI API hosts meet the same pipeline as the reverse proxy; Haetae
answers "unchanged", a redacted request, or the refusal in the provider's
format, and never forwards anything itself. See docs/network.md#icap.
"""
