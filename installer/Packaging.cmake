# `make package`: a Debian package of the TwinPlan programs through CPack, with a desktop entry
# and the .twinplan MIME type so that case files open in TwinPlan from a file manager.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/twinplan.desktop DESTINATION share/applications)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/twinplan-mime.xml DESTINATION share/mime/packages
        RENAME twinplan.xml)
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
