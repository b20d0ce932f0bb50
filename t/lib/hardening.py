"""hardening.py - the listener hardening postfix-snippets sets, as data.

MAIN: the main.cf settings (main.cf.gateway); LISTENER: the -o settings
of the public and submission listeners (master.cf.gateway).  The tests
check them against a running lab (gateway_attacks.py) and against a
merged existing configuration (gateway_harden_merge.py), so a fragment
edit that loses one fails there.  The internal listener sets none: its
clients (the Exchange host) are its mynetworks, exempt from the limits.
"""

MAIN = {
    "smtpd_forbid_bare_newline": "normalize",
    "smtpd_forbid_bare_newline_exclusions": "",
    "smtpd_forbid_unauth_pipelining": "yes",
    "smtpd_helo_required": "yes",
    "disable_vrfy_command": "yes",
    "smtpd_reject_unlisted_recipient": "yes",
    "smtpd_tls_protocols": ">=TLSv1",
    "smtpd_tls_ciphers": "medium",
    "anvil_rate_time_unit": "60s",
    "anvil_status_update_time": "600s",
}
LISTENER = {
    "public": {
        "smtpd_client_connection_rate_limit": "60",
        "smtpd_client_message_rate_limit": "120",
        "smtpd_client_connection_count_limit": "20",
    },
    "submission": {
        "smtpd_tls_mandatory_protocols": ">=TLSv1.2",
        "smtpd_tls_mandatory_ciphers": "high",
        "smtpd_client_auth_rate_limit": "10",
        "smtpd_soft_error_limit": "3",
        "smtpd_hard_error_limit": "${stress?{1}:{5}}",
        "smtpd_error_sleep_time": "5s",
        "smtpd_client_connection_rate_limit": "30",
        "smtpd_client_message_rate_limit": "60",
        "smtpd_client_connection_count_limit": "10",
    },
}
