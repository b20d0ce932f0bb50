/*
 * action.h - what a rule (or a limit, or an error) does to a message.
 */
#ifndef RS_ACTION_H
#define RS_ACTION_H

typedef enum ACTION {
    ACT_NONE = 0,                 /* nothing fired: deliver */
    ACT_ACCEPT,                   /* terminal: deliver, stop evaluating */
    ACT_REJECT,                   /* terminal: 5xx */
    ACT_TEMPFAIL,                 /* terminal: 4xx */
    ACT_DISCARD,                  /* terminal: 250, delivered nowhere */
    ACT_HOLD,                     /* terminal: Postfix hold queue */
    ACT_REDIRECT,                 /* terminal: to redirect_to only */
    ACT_STRIP,                    /* terminal: remove matching parts */
    ACT_TAG,                      /* header / subject tag; goes on */
    ACT_LOG,                      /* log only; goes on */
} ACTION;

const char *action_name(ACTION a);
/* "accept", ..., aliases "delete" and "forward"; -1 if unknown. */
int     action_by_name(const char *name);
int     action_is_terminal(ACTION a);

#endif
