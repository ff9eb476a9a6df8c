#include "cli.h"
int cmd_doctor(int argc, char **argv)
{
    cli_error("doctor: not implemented yet");
    return EXIT_FAIL;
}
