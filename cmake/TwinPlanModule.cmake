# TwinPlan's modules and their boundaries (docs/architecture.md, "Module boundaries").
#
# twinplan_module(<name>
#   [HEADER_ONLY]                 an INTERFACE library: headers only, no src/
#   [DIRECTORY <dir>]             the folder with include/ and src/ (default: the current one)
#   [USES <module>...]            TwinPlan modules it may use; each must be declared before it,
#                                 so the module graph has no cycles and points downwards
#   [LIBRARIES <pattern>...]      third-party targets it may use; a trailing * matches any
#                                 suffix ("VTK::Filters*", "ITK*")
#   [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])   what it links, as target_link_libraries takes it
# One static library per module folder: twinplan_<name>, public headers in
# <dir>/include/twinplan/..., sources in <dir>/src/ (globbed, so adding a file needs no CMake
# edit).
#
# twinplan_program(<target> NAME <name> [USES ...] [LIBRARIES ...])
#   Declares what an executable made elsewhere (the CLI) may use, checked like a module.
#
# twinplan_forbid(NAMES <name>... LIBRARIES <pattern>... BECAUSE <sentence without ";">)
#   A layer rule (cmake/TwinPlanBoundaries.cmake): the named modules may never see these
#   targets, whatever they declare, neither directly nor through another module's or library's
#   public interface. Module targets (twinplan_rendering) may be named too.
#
# At the end of the configure step every declared module and program is checked: a link to a
# module it does not declare in USES, a third-party target that matches none of its LIBRARIES,
# another module reached through a used module's PUBLIC deps but not declared (a leak), and
# anything a layer rule forbids make the configure fail, naming the module and the dependency.
# A third-party library that comes with a used module's public interface (core's Eigen) is
# part of that module's API and needs no declaration of its own.

function(twinplan_module name)
  cmake_parse_arguments(ARG "HEADER_ONLY" "DIRECTORY" "USES;LIBRARIES;PUBLIC_DEPS;PRIVATE_DEPS"
                        ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "twinplan_module(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  if(ARG_DIRECTORY)
    get_filename_component(dir ${ARG_DIRECTORY} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  set(target twinplan_${name})
  if(ARG_HEADER_ONLY)
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${dir}/include)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS})
    if(ARG_PRIVATE_DEPS)
      message(FATAL_ERROR "twinplan_module(${name}): a HEADER_ONLY module has no PRIVATE_DEPS")
    endif()
  else()
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${dir}/src/*.cpp)
    add_library(${target} STATIC ${sources})
    target_include_directories(${target} PUBLIC ${dir}/include PRIVATE ${dir}/src)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    twinplan_warnings(${target})
  endif()
  add_library(twinplan::${name} ALIAS ${target})
  twinplan_program(${target} NAME ${name} USES ${ARG_USES} LIBRARIES ${ARG_LIBRARIES})
endfunction()

function(twinplan_program target)
  cmake_parse_arguments(ARG "" "NAME" "USES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "twinplan_program(${target} NAME <name> [USES ...] [LIBRARIES ...])")
  endif()
  get_property(known GLOBAL PROPERTY TWINPLAN_BOUNDARY_NAMES)
  if(ARG_NAME IN_LIST known)
    message(FATAL_ERROR "Module '${ARG_NAME}' is declared twice.")
  endif()
  foreach(used ${ARG_USES})
    if(NOT used IN_LIST known)
      message(FATAL_ERROR
        "Module boundary violated: module '${ARG_NAME}' uses module '${used}', which is not "
        "declared before it. A module may only use the modules below it (DESIGN.md section 1): "
        "add_subdirectory() the used module first, or move the shared code down.")
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY TWINPLAN_BOUNDARY_NAMES ${ARG_NAME})
  set_property(GLOBAL PROPERTY TWINPLAN_TARGET_OF_${ARG_NAME} ${target})
  set_property(GLOBAL PROPERTY TWINPLAN_NAME_OF_${target} ${ARG_NAME})
  set_property(GLOBAL PROPERTY TWINPLAN_USES_OF_${ARG_NAME} ${ARG_USES})
  set_property(GLOBAL PROPERTY TWINPLAN_LIBRARIES_OF_${ARG_NAME} ${ARG_LIBRARIES})
  set_property(GLOBAL PROPERTY TWINPLAN_DECLARED_IN_${ARG_NAME} ${CMAKE_CURRENT_LIST_FILE})
endfunction()

function(twinplan_forbid)
  cmake_parse_arguments(ARG "" "BECAUSE" "NAMES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAMES OR NOT ARG_LIBRARIES OR NOT ARG_BECAUSE)
    message(FATAL_ERROR "twinplan_forbid(NAMES ... LIBRARIES ... BECAUSE <sentence>)")
  endif()
  string(REPLACE ";" "," ARG_BECAUSE "${ARG_BECAUSE}")  # a ";" would split the stored reason
  get_property(count GLOBAL PROPERTY TWINPLAN_RULE_COUNT)
  math(EXPR count "${count} + 1")  # rules count from 1, so that a rule list is never "0"
  foreach(name ${ARG_NAMES})
    set_property(GLOBAL APPEND PROPERTY TWINPLAN_RULES_OF_${name} ${count})
  endforeach()
  set_property(GLOBAL PROPERTY TWINPLAN_RULE_${count}_PATTERNS ${ARG_LIBRARIES})
  set_property(GLOBAL PROPERTY TWINPLAN_RULE_${count}_REASON "${ARG_BECAUSE}")
  set_property(GLOBAL PROPERTY TWINPLAN_RULE_COUNT ${count})
endfunction()

# --- the check ----------------------------------------------------------------------------

# `item` as a target name, or "" for what is no target (a flag, a file, a generator-expression
# marker). Generator expressions are unwrapped to their last argument ($<LINK_ONLY:x> -> x,
# $<$<CONFIG:Debug>:x> -> x); aliases resolve to the real target. link_only is set when the item
# only links (a static library's private dependency), so its headers are not visible.
function(_twinplan_link_item item out_name out_link_only)
  set(link_only FALSE)
  if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
    set(item "${CMAKE_MATCH_1}")
    set(link_only TRUE)
  endif()
  while(item MATCHES "^\\$<.*:([^:<>]*)>$")
    set(item "${CMAKE_MATCH_1}")
  endwhile()
  if(item MATCHES "^::@" OR item MATCHES "^\\$<" OR item STREQUAL "")
    set(item "")
  elseif(TARGET "${item}")
    get_target_property(aliased "${item}" ALIASED_TARGET)
    if(aliased)
      set(item "${aliased}")
    endif()
  endif()
  set(${out_name} "${item}" PARENT_SCOPE)
  set(${out_link_only} ${link_only} PARENT_SCOPE)
endfunction()

# The items a target links for its users (public), or also for itself (all).
function(_twinplan_links target which out)
  set(items)
  if(TARGET "${target}")
    get_target_property(type "${target}" TYPE)
    get_target_property(imported "${target}" IMPORTED)
    if(which STREQUAL "all" AND NOT type STREQUAL "INTERFACE_LIBRARY" AND NOT imported)
      get_target_property(items "${target}" LINK_LIBRARIES)
    else()
      get_target_property(items "${target}" INTERFACE_LINK_LIBRARIES)
    endif()
    if(NOT items)
      set(items)
    endif()
  endif()
  set(result)
  foreach(item IN LISTS items)
    _twinplan_link_item("${item}" name link_only)
    if(name AND NOT (which STREQUAL "public" AND link_only))
      list(APPEND result "${name}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES result)
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

function(_twinplan_matches item patterns out)
  set(match FALSE)
  foreach(pattern IN LISTS patterns)
    if(pattern MATCHES "^(.*)\\*$")
      string(LENGTH "${CMAKE_MATCH_1}" length)
      string(SUBSTRING "${item}" 0 ${length} prefix)
      if(prefix STREQUAL CMAKE_MATCH_1)
        set(match TRUE)
      endif()
    elseif(item STREQUAL pattern)
      set(match TRUE)
    endif()
  endforeach()
  set(${out} ${match} PARENT_SCOPE)
endfunction()

# Everything `target` sees: its own links, then, through every target reached, that target's
# public links (all of them when follow_libraries, else only through TwinPlan modules). Sets
# <out>_ITEMS and, for each item, <out>_VIA_<item> (the chain that brought it).
function(_twinplan_closure target follow_libraries out)
  _twinplan_links(${target} all queue)
  set(seen)
  foreach(item IN LISTS queue)
    set(via_${item} "${item}")
  endforeach()
  while(queue)
    list(POP_FRONT queue item)
    if(item IN_LIST seen)
      continue()
    endif()
    list(APPEND seen "${item}")
    get_property(is_module GLOBAL PROPERTY TWINPLAN_NAME_OF_${item})
    if(NOT is_module AND NOT follow_libraries)
      continue()
    endif()
    _twinplan_links(${item} public next)
    foreach(n IN LISTS next)
      if(NOT n IN_LIST seen AND NOT DEFINED via_${n})
        set(via_${n} "${via_${item}} -> ${n}")
        list(APPEND queue "${n}")
      endif()
    endforeach()
  endwhile()
  set(${out}_ITEMS "${seen}" PARENT_SCOPE)
  foreach(item IN LISTS seen)
    set(${out}_VIA_${item} "${via_${item}}" PARENT_SCOPE)
  endforeach()
endfunction()

# Sets `out` to every way `name` breaks its declaration or a layer rule.
function(_twinplan_check_one name out)
  get_property(target GLOBAL PROPERTY TWINPLAN_TARGET_OF_${name})
  get_property(uses GLOBAL PROPERTY TWINPLAN_USES_OF_${name})
  get_property(libraries GLOBAL PROPERTY TWINPLAN_LIBRARIES_OF_${name})
  get_property(file GLOBAL PROPERTY TWINPLAN_DECLARED_IN_${name})
  file(RELATIVE_PATH file ${CMAKE_SOURCE_DIR} ${file})
  set(found)
  set(here "module '${name}' (${target}, declared in ${file})")

  # Direct links and modules reached through modules' public deps: declared?
  _twinplan_links(${target} all direct)
  _twinplan_closure(${target} FALSE seen)
  foreach(item IN LISTS seen_ITEMS)
    get_property(module GLOBAL PROPERTY TWINPLAN_NAME_OF_${item})
    if(module)
      if(NOT module IN_LIST uses AND NOT module STREQUAL name)
        list(APPEND found "${here} uses module '${module}' (${seen_VIA_${item}}) but does not \
declare it: add it to USES if ${name} may depend on ${module}.")
      endif()
    elseif(item IN_LIST direct)
      _twinplan_matches("${item}" "${libraries}" declared)
      if(NOT declared)
        list(APPEND found "${here} links '${item}', which matches none of its LIBRARIES: \
declare it if ${name} may use it.")
      endif()
    endif()
  endforeach()

  # Layer rules, over everything it sees, libraries' own public deps included.
  get_property(rules GLOBAL PROPERTY TWINPLAN_RULES_OF_${name})
  if(rules)
    _twinplan_closure(${target} TRUE all)
    foreach(rule IN LISTS rules)
      get_property(patterns GLOBAL PROPERTY TWINPLAN_RULE_${rule}_PATTERNS)
      get_property(reason GLOBAL PROPERTY TWINPLAN_RULE_${rule}_REASON)
      foreach(item IN LISTS all_ITEMS)
        _twinplan_matches("${item}" "${patterns}" forbidden)
        # Named once, where the chain first meets the rule (Qt6::Widgets, not Qt6::Core too).
        string(REPLACE " -> " ";" chain "${all_VIA_${item}}")
        list(POP_BACK chain)
        foreach(earlier IN LISTS chain)
          _twinplan_matches("${earlier}" "${patterns}" earlier_forbidden)
          if(earlier_forbidden)
            set(forbidden FALSE)
          endif()
        endforeach()
        if(forbidden)
          list(APPEND found "${here} may not use '${item}' (${all_VIA_${item}}): ${reason}")
        endif()
      endforeach()
    endforeach()
  endif()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

function(twinplan_check_boundaries)
  get_property(names GLOBAL PROPERTY TWINPLAN_BOUNDARY_NAMES)
  set(problems)
  foreach(name IN LISTS names)
    _twinplan_check_one(${name} found)
    list(APPEND problems ${found})
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "Module boundary violated (docs/architecture.md, \"Module boundaries\"):\n  "
                        "${text}")
  endif()
  list(LENGTH names count)
  message(STATUS "Module boundaries: ${count} modules checked")
endfunction()

# Every target of the build (tests and programs too) in the directories under `dir`.
function(_twinplan_all_targets dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    _twinplan_all_targets(${subdir} more)
    list(APPEND targets ${more})
  endforeach()
  set(${out} "${targets}" PARENT_SCOPE)
endfunction()

# A configuration without a display (TWINPLAN_BUILD_GUI=OFF): no target at all, tests
# included, may see any of `patterns`. Called deferred, like the module check.
function(twinplan_check_no_display)
  _twinplan_all_targets(${CMAKE_SOURCE_DIR} targets)
  set(problems)
  foreach(target IN LISTS targets)
    _twinplan_closure(${target} TRUE all)
    foreach(item IN LISTS all_ITEMS)
      _twinplan_matches("${item}" "${TWINPLAN_DISPLAY_TARGETS}" display)
      if(display)
        list(APPEND problems "${target} uses ${item} (${all_VIA_${item}})")
      endif()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "A configuration without the GUI must not use Qt or VTK rendering:\n  "
                        "${text}")
  endif()
  list(LENGTH targets count)
  message(STATUS "No display: none of ${count} targets uses Qt or VTK rendering")
endfunction()

# Checked once, when the top-level CMakeLists.txt has been read: after every module and every
# later target_link_libraries() on it.
get_property(twinplan_check_deferred GLOBAL PROPERTY TWINPLAN_CHECK_DEFERRED)
if(NOT twinplan_check_deferred)
  set_property(GLOBAL PROPERTY TWINPLAN_CHECK_DEFERRED TRUE)
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL twinplan_check_boundaries)
endif()

function(twinplan_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
  # GCC 12 reports false -Wrestrict positives on std::string concatenation at -O3
  # (GCC bug 105329); they are not in our code, so they must not fail the build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(TWINPLAN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
