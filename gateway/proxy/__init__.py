"""The forward proxy: a front that turns proxied AI traffic into ordinary gateway requests.

Nothing here judges a request. CONNECT tunnels to AI hosts are decrypted with
the company CA and the requests inside are handed to the same ASGI application
(and so the same pipeline) as the base-URL reverse proxy; other hosts are
relayed untouched or refused. See docs/network.md.
"""
