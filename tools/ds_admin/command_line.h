// CommandLine: the table of subcommands, their options and help, and argv parsing.
#pragma once

#include <string>

#include "commands.h"

namespace ds_admin {

// Parses argv and runs the chosen command. Prints help (exit 0) for --help, and a message on
// stderr (exit kExitUsage) for any usage error.
int Dispatch(int argc, char** argv);

}  // namespace ds_admin
