/*
 * fuzz_conf.c - libFuzzer target: the screener.conf loader (through a
 * temporary file, as sconf_load reads files).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "msg.h"

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int     LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE   *fp;
    CFG_ERRS e;
    SCONF  *c;

    if (path[0] == 0) {
	int     fd;

	snprintf(path, sizeof(path), "/tmp/fuzz_conf_XXXXXX");
	if ((fd = mkstemp(path)) < 0)
	    abort();
	close(fd);
	msg_init("fuzz", 0, 0);
    }
    if ((fp = fopen(path, "wb")) == NULL)
	abort();
    fwrite(data, 1, size, fp);
    fclose(fp);
    cfg_errs_init(&e, path);
    c = sconf_load(path, &e);
    if (c) {
	SCAN   *s = scan_new(c, DIR_INBOUND);

	scan_data(s, "Subject: x\r\n\r\nbody\r\n", 20);
	scan_eom(s);
	scan_free(s);
	sconf_unref(c);
    }
    cfg_errs_free(&e);
    return 0;
}
