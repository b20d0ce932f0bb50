/*
 * sconf_envelope.c - the envelope conditions of a rule: sender,
 * recipient and client (the connecting host and its SMTP login).
 *
 *   sender    = { addresses = [...]; domains = [...]; envelope_only = B; };
 *   recipient = { addresses = [...]; domains = [...]; };
 *   client    = { networks = [ "192.0.2.0/24", ... ]; authenticated = B; };
 *
 * A sender condition also matches the addresses of the From: header,
 * which anyone can write; that is fine for rules that block and wrong
 * for rules that let mail through.  So an accept rule's sender
 * condition matches the envelope sender only, and any rule may ask for
 * that with envelope_only = true.
 */
#include <config.h>

#include <string.h>

#include "addr.h"
#include "mymalloc.h"
#include "rules.h"

static void load_addrs(const config_setting_t *g, const char *what,
		               const char *const *keys, STRLIST *addrs,
		               STRLIST *domains, CFG_ERRS *e)
{
    STRLIST tmp;
    size_t  i;

    cfg_check_keys(g, keys, e);
    strlist_init(&tmp);
    rules_get_list(g, "addresses", &tmp, e);
    for (i = 0; i < tmp.n; i++) {
	char    buf[ADDR_MAX + 1];

	if (addr_clean(tmp.v[i], buf, sizeof(buf)) < 0
	    || (*buf && strchr(buf, '@') == NULL))
	    cfg_err(e, config_setting_get_member(g, "addresses"),
		    "%s: bad address \"%s\" (want local@domain, or \"\" for "
		    "the null sender)", what, tmp.v[i]);
	else
	    strlist_add(addrs, lowercase(buf));
    }
    strlist_free(&tmp);
    strlist_init(&tmp);
    rules_get_list(g, "domains", &tmp, e);
    for (i = 0; i < tmp.n; i++) {
	char   *d = tmp.v[i];

	while (*d == '@' || *d == '.')
	    d++;
	if (*d == 0 || strlen(d) > DOMAIN_MAX || strchr(d, '@')
	    || strpbrk(d, " \t"))
	    cfg_err(e, config_setting_get_member(g, "domains"),
		    "%s: bad domain \"%s\"", what, tmp.v[i]);
	else
	    strlist_add(domains, lowercase(d));
    }
    strlist_free(&tmp);
    if (addrs->n + domains->n == 0)
	cfg_err(e, g, "%s: needs addresses or domains", what);
}

void    rules_load_sender(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"addresses", "addresses_file",
    "domains", "domains_file", "envelope_only", NULL};

    r->sender_envelope_only = -1;         /* not given */
    load_addrs(g, "sender", keys, &r->sender_addrs, &r->sender_domains, e);
    cfg_get_bool(g, "envelope_only", &r->sender_envelope_only, e);
}

void    rules_load_rcpt(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"addresses", "addresses_file",
    "domains", "domains_file", NULL};

    load_addrs(g, "recipient", keys, &r->rcpt_addrs, &r->rcpt_domains, e);
}

void    rules_load_client(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    static const char *const keys[] = {"networks", "networks_file",
    "authenticated", NULL};
    STRLIST nets;
    size_t  i;
    int     b;

    cfg_check_keys(g, keys, e);
    r->client_auth = -1;
    strlist_init(&nets);
    rules_get_list(g, "networks", &nets, e);
    r->client_nets = mycalloc(nets.n ? nets.n : 1, sizeof(CIDR));
    for (i = 0; i < nets.n; i++) {
	if (cidr_parse(nets.v[i], &r->client_nets[r->n_client_nets]) < 0)
	    cfg_err(e, config_setting_get_member(g, "networks"),
		    "client: bad network \"%s\" (want address or "
		    "address/prefix, host bits clear)", nets.v[i]);
	else
	    r->n_client_nets++;
    }
    if (cfg_get_bool(g, "authenticated", &b, e) == 1)
	r->client_auth = b != 0;
    if (nets.n == 0 && r->client_auth < 0)
	cfg_err(e, g, "client: needs networks or authenticated");
    strlist_free(&nets);
}

/* What an accept rule may rest on.  Its sender condition is the
 * envelope's only; with a recipient condition it exempts recipients one
 * by one at RCPT TO, so everything else it asks for must be known by
 * then (sender, client). */
void    rules_check_accept(RULE *r, const config_setting_t *g, CFG_ERRS *e)
{
    if (r->action != ACT_ACCEPT)
	return;
    if ((r->conds & COND_SENDER) && r->sender_envelope_only == 0)
	cfg_err(e, config_setting_get_member(config_setting_get_member(g,
			 "sender"), "envelope_only"), "rule \"%s\": an accept "
		"matches the envelope sender only (anyone can write a From: "
		"header); remove envelope_only = false", r->name);
    if ((r->conds & COND_SENDER) && r->sender_envelope_only < 0)
	r->sender_envelope_only = 1;
    if ((r->conds & COND_RCPT) && (r->conds & ~COND_ENVELOPE))
	cfg_err(e, g, "rule \"%s\": an accept with a recipient condition "
		"exempts that recipient at RCPT TO; it can combine only with "
		"sender and client conditions", r->name);
}

void    rules_free_envelope(RULE *r)
{
    strlist_free(&r->sender_addrs);
    strlist_free(&r->sender_domains);
    strlist_free(&r->rcpt_addrs);
    strlist_free(&r->rcpt_domains);
    myfree(r->client_nets);
}
