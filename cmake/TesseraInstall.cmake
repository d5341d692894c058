# `cmake --install`: the engine headers, the static libraries (tessera_core, _quant,
# _compiler, _simulator), the `tessera` CLI, and a CMake package so an outside project does
#     find_package(Tessera REQUIRED)
#     target_link_libraries(app PRIVATE Tessera::driver)
# (docs/host-driver.md). Tessera::driver is the host-driver API (simulator/Driver.h) with
# everything it links; Tessera::core, ::quant, ::compiler and ::simulator are there too (all
# engine libraries are exported, so a library that starts linking another stays installable).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

# In the tree the libraries take their headers from the source root; installed, from include/.
set(TESSERA_ENGINE_LIBS "")
set(TESSERA_ENGINE_DIRS "")
foreach(area core quant compiler simulator)
  if(TARGET tessera_${area})
    set_target_properties(tessera_${area} PROPERTIES EXPORT_NAME ${area} INTERFACE_INCLUDE_DIRECTORIES
                          "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>;$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
    list(APPEND TESSERA_ENGINE_LIBS tessera_${area})
    list(APPEND TESSERA_ENGINE_DIRS ${PROJECT_SOURCE_DIR}/${area})
  endif()
endforeach()

add_library(tessera_driver INTERFACE)
target_link_libraries(tessera_driver INTERFACE tessera_simulator Threads::Threads)
set_target_properties(tessera_driver PROPERTIES EXPORT_NAME driver)
add_library(Tessera::driver ALIAS tessera_driver)

install(TARGETS ${TESSERA_ENGINE_LIBS} tessera_driver EXPORT TesseraTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS tessera RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET tessera-train)
  install(TARGETS tessera-train RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${TESSERA_ENGINE_DIRS}
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
