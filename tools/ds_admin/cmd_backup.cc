// `ds-admin backup`: being built (issue 13); this placeholder keeps main linking until it lands.
#include "commands.h"
#include "output_format.h"

namespace ds_admin {

int RunBackup(const Invocation&) { return ReportError("backup is not built yet"); }

}  // namespace ds_admin
