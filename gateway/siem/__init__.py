"""Delivering the audit trail to a SIEM: syslog (RFC 5424, CEF), Splunk HEC, webhooks.

``formats`` shapes records, ``sinks`` sends batches, ``cursor`` remembers what
each sink acknowledged, ``delivery`` runs them, ``setup`` builds them from
settings. docs/governance.md explains the guarantees.
"""
