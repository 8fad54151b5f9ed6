# What `cmake --install` puts under the prefix, in two components:
#   runtime: bin/streamkeeper, bin/ds-admin
#   dev:     include/streamkeeper/*.h, the static libraries, and the CMake package
#            (lib/cmake/streamkeeper/): find_package(streamkeeper CONFIG) gives streamkeeper::core,
#            streamkeeper::storage_rocksdb and streamkeeper::storage_memory, the names the targets
#            also have in this tree (ALIAS targets), so an embedder's CMake works either way.
# The systemd unit and the default configuration belong to the .deb (packaging/CMakeLists.txt).
include(CMakePackageConfigHelpers)

set(STREAMKEEPER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/streamkeeper)

install(TARGETS streamkeeper ds-admin
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)

# storage_scan is exported because core links it (LoadAllStreams() of storage.h).
install(TARGETS
    streamkeeper_core
    streamkeeper_storage_scan
    streamkeeper_storage_memory
    streamkeeper_storage_rocksdb
  EXPORT streamkeeperTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/streamkeeper
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h")

install(EXPORT streamkeeperTargets
  NAMESPACE streamkeeper::
  DESTINATION ${STREAMKEEPER_CMAKE_DIR} COMPONENT dev)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/streamkeeperConfig.cmake.in
  ${PROJECT_BINARY_DIR}/streamkeeperConfig.cmake
  INSTALL_DESTINATION ${STREAMKEEPER_CMAKE_DIR})
# Before 1.0 a minor version may change the API: only the same major.minor is compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/streamkeeperConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/streamkeeperConfig.cmake
    ${PROJECT_BINARY_DIR}/streamkeeperConfigVersion.cmake
  DESTINATION ${STREAMKEEPER_CMAKE_DIR} COMPONENT dev)
