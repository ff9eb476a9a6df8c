#include "cli.h"
int cmd_annotate(int argc, char **argv)
{
    cli_error("annotate: not implemented yet");
    return EXIT_FAIL;
}
