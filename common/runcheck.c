/*
 * runcheck.c - "daemon -t": the run user and group exist, and every file
 * the config names is readable by that user (see runcheck.h).
 *
 * The files are opened for real, not tested with access(2), which uses
 * the real rather than the effective ids and ignores ACL subtleties.  As
 * root the opens happen in a child that has dropped to the run user; it
 * reports one line per unreadable file over a pipe.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "msg.h"
#include "mymalloc.h"
#include "runcheck.h"

#define RC_MAX_DEPTH 32           /* group nesting walked */

typedef struct RC_FILE {
    char   *path;                 /* resolved */
    const char *src;              /* config file naming it (in cf) */
    int     line;
} RC_FILE;

typedef struct RC_WALK {
    RC_FILE *files;
    size_t  n;
    size_t  over;                 /* beyond RUNCHECK_MAX_FILES */
} RC_WALK;

static void add_file(RC_WALK *w, const char *path, const char *src, int line)
{
    char    full[PATH_MAX];
    const char *slash;

    if (w->n >= RUNCHECK_MAX_FILES) {
	w->over++;
	return;
    }
    /* relative to the naming file's directory, as cfg_read_list_file */
    if (path[0] != '/' && src && (slash = strrchr(src, '/')) != NULL)
	snprintf(full, sizeof(full), "%.*s/%s", (int) (slash - src), src, path);
    else
	snprintf(full, sizeof(full), "%s", path);
    w->files[w->n].path = mystrdup(full);
    w->files[w->n].src = src;
    w->files[w->n].line = line;
    w->n++;
}

static int is_file_key(const char *name)
{
    size_t  len = name ? strlen(name) : 0;

    return len > 5 && strcmp(name + len - 5, "_file") == 0;
}

/* Every string under a *_file setting, and every source file seen. */
static void walk(RC_WALK *w, const config_setting_t *s, int depth)
{
    const char *src = config_setting_source_file(s);
    int     i, n;

    if (depth > RC_MAX_DEPTH)
	return;
    if (src && depth > 0) {
	for (i = 0; i < (int) w->n; i++)
	    if (w->files[i].line == 0 && strcmp(w->files[i].path, src) == 0)
		break;
	if (i == (int) w->n)
	    add_file(w, src, NULL, 0);  /* an @include file */
    }
    if (is_file_key(config_setting_name(s))) {
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
	    add_file(w, config_setting_get_string(s), src,
		     config_setting_source_line(s));
	    return;
	}
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
	    const config_setting_t *m = config_setting_get_elem(s, i);

	    if (config_setting_type(m) == CONFIG_TYPE_STRING)
		add_file(w, config_setting_get_string(m), src,
			 config_setting_source_line(m));
	}
	return;
    }
    if (config_setting_is_aggregate(s)) {
	n = config_setting_length(s);
	for (i = 0; i < n; i++)
	    walk(w, config_setting_get_elem(s, i), depth + 1);
    }
}

/* Open every file; write "INDEX ERRNO\n" to fd for each that fails. */
static void open_all(const RC_WALK *w, int fd)
{
    char    buf[64];
    size_t  i;
    int     f, len;

    for (i = 0; i < w->n; i++) {
	if ((f = open(w->files[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0) {
	    close(f);
	    continue;
	}
	len = snprintf(buf, sizeof(buf), "%zu %d\n", i, errno);
	if (write(fd, buf, (size_t) len) != len)
	    return;
    }
}

static void report(const RC_WALK *w, size_t i, int err, const char *who,
		           CFG_ERRS *e)
{
    cfg_err_at(e, w->files[i].src, w->files[i].line,
	       "\"%s\" is not readable by %s (the run user reads it "
	       "again on reload): %s", w->files[i].path, who, strerror(err));
}

/* Read the child's report (bounded: one line per file at most). */
static void read_report(const RC_WALK *w, FILE *fp, const char *who,
			        CFG_ERRS *e)
{
    size_t  idx, lines = 0;
    int     err;

    while (lines++ <= w->n && fscanf(fp, "%zu %d\n", &idx, &err) == 2) {
	if (idx >= w->n)
	    break;
	report(w, idx, err, who, e);
    }
}

static void check_self(const RC_WALK *w, const RUNCHECK *rc, CFG_ERRS *e)
{
    size_t  i;
    int     f;

    for (i = 0; i < w->n; i++) {
	if ((f = open(w->files[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0)
	    close(f);
	else
	    report(w, i, errno, rc->who, e);
    }
}

static void check_as(const RC_WALK *w, const RUNCHECK *rc, CFG_ERRS *e)
{
    int     fds[2], status;
    pid_t   pid;
    FILE   *fp;

    if (pipe(fds) < 0 || (pid = fork()) < 0) {
	cfg_err_at(e, NULL, 0, "cannot check files as %s: %s", rc->who,
		   strerror(errno));
	return;
    }
    if (pid == 0) {
	close(fds[0]);
	drop_privileges(rc->user, rc->group);
	open_all(w, fds[1]);
	_exit(0);
    }
    close(fds[1]);
    if ((fp = fdopen(fds[0], "r")) == NULL) {
	close(fds[0]);
    } else {
	read_report(w, fp, rc->who, e);
	fclose(fp);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
	 /* retry */ ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	cfg_err_at(e, NULL, 0, "cannot become %s to check its files",
		   rc->who);
}

/* The user and group exist; sets *uid.  Returns 0 or -1. */
static int check_ids(config_t *cf, RUNCHECK *rc, uid_t *uid, CFG_ERRS *e)
{
    const config_setting_t *us = config_lookup(cf, rc->user_key);
    const config_setting_t *gs = config_lookup(cf, rc->group_key);
    struct passwd *pw;
    struct group *gr = NULL;
    int     bad = 0;

    if ((pw = getpwnam(rc->user)) == NULL) {
	cfg_err(e, us, "run user \"%s\"%s does not exist (adduser --system "
		"--group %s)", rc->user, us ? "" : " (the default)", rc->user);
	bad = -1;
    }
    if (rc->group && *rc->group && (gr = getgrnam(rc->group)) == NULL) {
	cfg_err(e, gs, "run group \"%s\" does not exist", rc->group);
	bad = -1;
    }
    if (pw == NULL)
	return bad;
    if (gr == NULL)
	gr = getgrgid(pw->pw_gid);
    snprintf(rc->who, sizeof(rc->who), "%.70s:%.70s", rc->user,
	     gr ? gr->gr_name : "?");
    *uid = pw->pw_uid;
    return bad;
}

int     runcheck(const char *conf_path, RUNCHECK *rc, CFG_ERRS *e)
{
    int     before = e->count;
    config_t cf;
    RC_WALK w;
    uid_t   uid = geteuid();
    struct passwd *pw;
    size_t  i;

    memset(&w, 0, sizeof(w));
    if ((pw = getpwuid(geteuid())) != NULL)
	snprintf(rc->who, sizeof(rc->who), "%.70s (no user set)", pw->pw_name);
    else
	snprintf(rc->who, sizeof(rc->who), "uid %ld (no user set)",
		 (long) geteuid());
    config_init(&cf);
    if (cfg_load(&cf, conf_path, e) < 0) {
	config_destroy(&cf);
	return e->count - before;
    }
    w.files = (RC_FILE *) mymalloc(RUNCHECK_MAX_FILES * sizeof(RC_FILE));
    add_file(&w, conf_path, NULL, 0);
    walk(&w, config_root_setting(&cf), 0);
    if (w.over)
	cfg_err_at(e, NULL, 0, "more than %d files named; %zu not checked",
		   RUNCHECK_MAX_FILES, w.over);
    rc->checked = 1;
    if (rc->user && *rc->user && check_ids(&cf, rc, &uid, e) < 0)
	rc->checked = 0;
    else if (geteuid() == 0 && uid != 0)
	check_as(&w, rc, e);
    else if (geteuid() == uid)
	check_self(&w, rc, e);
    else
	rc->checked = 0;            /* cannot become the user: not root */
    rc->nfiles = w.n;
    for (i = 0; i < w.n; i++)
	myfree(w.files[i].path);
    myfree(w.files);
    config_destroy(&cf);
    return e->count - before;
}

void    runcheck_summary(const char *conf_path, const char *what,
			         const RUNCHECK *rc)
{
    if (rc->checked)
	printf("%s: OK (%s; runs as %s, %zu file%s readable)\n", conf_path,
	       what, rc->who, rc->nfiles, rc->nfiles == 1 ? "" : "s");
    else
	printf("%s: OK (%s; runs as %s, files not checked as that user: "
	       "run -t as root)\n", conf_path, what, rc->who);
}
