# `cmake --install`: the engine headers, the static libraries tessera_core and
# tessera_simulator, the `tessera` CLI, and a CMake package so an outside project does
#     find_package(Tessera REQUIRED)
#     target_link_libraries(app PRIVATE Tessera::driver)
# (docs/host-driver.md). Tessera::driver is the host-driver API (simulator/Driver.h) with
# everything it links; Tessera::simulator and Tessera::core are there too.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

# In the tree the libraries take their headers from the source root; installed, from include/.
foreach(lib tessera_core tessera_simulator)
  set_target_properties(${lib} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES
                        "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>;$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
endforeach()
set_target_properties(tessera_core PROPERTIES EXPORT_NAME core)
set_target_properties(tessera_simulator PROPERTIES EXPORT_NAME simulator)

add_library(tessera_driver INTERFACE)
target_link_libraries(tessera_driver INTERFACE tessera_simulator Threads::Threads)
set_target_properties(tessera_driver PROPERTIES EXPORT_NAME driver)
add_library(Tessera::driver ALIAS tessera_driver)

install(TARGETS tessera_core tessera_simulator tessera_driver EXPORT TesseraTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tessera RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/simulator
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "DriverDetail.h" EXCLUDE)

set(TESSERA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tessera)
install(EXPORT TesseraTargets NAMESPACE Tessera:: DESTINATION ${TESSERA_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TesseraConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/TesseraConfig.cmake INSTALL_DESTINATION ${TESSERA_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/TesseraConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/TesseraConfig.cmake ${CMAKE_BINARY_DIR}/TesseraConfigVersion.cmake
        DESTINATION ${TESSERA_CMAKE_DIR})
