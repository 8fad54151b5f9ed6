#include "read_only_storage.h"

namespace ds_admin {

streamkeeper::Status ReadOnlyStorage::write(const streamkeeper::WriteBatch&) {
  return streamkeeper::Status::IoError("ds-admin opened the data directory read-only");
}

}  // namespace ds_admin
