/*
 * main.c - policyd placeholder (the policy daemon work replaces it).
 */
#include <config.h>

int     main(void)
{
    return 0;
}
