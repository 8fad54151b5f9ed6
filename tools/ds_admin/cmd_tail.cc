// `ds-admin tail`: being built (issue 13); this placeholder keeps main linking until it lands.
#include "commands.h"
#include "output_format.h"

namespace ds_admin {

int RunTail(const Invocation&) { return ReportError("tail is not built yet"); }

}  // namespace ds_admin
