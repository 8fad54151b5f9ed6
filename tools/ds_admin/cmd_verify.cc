// `ds-admin verify`: checks a data directory for damage and every stream for the invariants of
// stream_checks.h (store_check.h says which checks, and how the directory is opened).
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "output_format.h"
#include "store_check.h"

namespace ds_admin {

namespace {

int Finish(const std::vector<std::string>& problems, const std::string& summary) {
  for (const std::string& problem : problems) std::cout << "problem: " << problem << "\n";
  std::cout << (problems.empty() ? "ok: " : "FAILED: ") << summary << ", " << problems.size()
            << " problems\n";
  return problems.empty() ? kExitOk : kExitError;
}

}  // namespace

int RunVerify(const Invocation& invocation) {
  StoreCheckResult result;
  streamkeeper::Status s = CheckStore(invocation.data_dir, &result);
  if (!s.ok()) {
    if (s.message().find(" is damaged: ") == std::string::npos) return ReportError(s);
    result.problems.push_back(s.message());
    return Finish(result.problems, "cannot open " + invocation.data_dir);
  }
  return Finish(result.problems, std::to_string(result.streams) + " streams, " +
                                     std::to_string(result.records) + " records checked");
}

}  // namespace ds_admin
