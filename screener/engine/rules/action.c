/*
 * action.c - action names and properties.
 */
#include <config.h>

#include <stddef.h>
#include <strings.h>

#include "action.h"

static const char *const names[] = {
    "none", "accept", "reject", "tempfail", "discard", "hold", "redirect",
    "strip", "tag", "log",
};

const char *action_name(ACTION a)
{
    if ((unsigned) a < sizeof(names) / sizeof(names[0]))
	return names[a];
    return "unknown";
}

int     action_by_name(const char *name)
{
    unsigned i;

    if (name == NULL)
	return -1;
    if (strcasecmp(name, "delete") == 0)
	return ACT_DISCARD;
    if (strcasecmp(name, "forward") == 0)
	return ACT_REDIRECT;
    for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
	if (strcasecmp(name, names[i]) == 0)
	    return (int) i;
    return -1;
}

int     action_is_terminal(ACTION a)
{
    return a != ACT_NONE && a != ACT_TAG && a != ACT_LOG;
}
