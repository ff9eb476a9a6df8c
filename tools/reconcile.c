#include "cli.h"
int cmd_reconcile(int argc, char **argv)
{
    cli_error("reconcile: not implemented yet");
    return EXIT_FAIL;
}
