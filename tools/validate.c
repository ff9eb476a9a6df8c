#include "cli.h"
int cmd_validate(int argc, char **argv)
{
    cli_error("validate: not implemented yet");
    return EXIT_FAIL;
}
