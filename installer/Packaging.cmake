# `make package`: a Debian package of the TwinPlan programs through CPack, with a desktop entry
# and the .twinplan MIME type so that case files open in TwinPlan from a file manager.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/twinplan.desktop DESTINATION share/applications)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/twinplan-mime.xml DESTINATION share/mime/packages
        RENAME twinplan.xml)
# The user guide, opened from Help > User guide (ui/src/help.cpp looks for it at
# <prefix>/share/doc/twinplan beside <prefix>/bin), with the screenshots it shows.
install(FILES ${PROJECT_SOURCE_DIR}/docs/user-guide.md DESTINATION share/doc/twinplan)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/screenshots DESTINATION share/doc/twinplan)
set(CPACK_PACKAGE_NAME "twinplan")
set(CPACK_PACKAGE_VENDOR "TwinPlan project")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Digital-twin planning workstation for CT/MR (ablation, tissue shift, dose)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "TwinPlan maintainers <twinplan@example.org>")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
