// ds-admin: inspect and operate a Streamkeeper RocksDB data directory while the server is stopped.
// Run `ds-admin --help` for the commands.
#include "command_line.h"

int main(int argc, char** argv) { return ds_admin::Dispatch(argc, argv); }
