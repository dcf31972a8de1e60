#include "twinplan/tissue/inp_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "inp_contact.h"
#include "tet_elements.h"
#include "twinplan/core/error.h"
#include "twinplan/tissue/contact.h"

namespace twinplan::tissue {
namespace {

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> splitCommas(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || line[i] == ',') {
      fields.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  return fields;
}

struct Keyword {
  std::string name;                           // upper case, single spaces
  std::map<std::string, std::string> params;  // upper-case name -> value as written ("" flag)
  int line = 0;
};

struct DataLine {
  std::vector<std::string> fields;
  int line = 0;
};

class Parser {
 public:
  Parser(std::string_view text, std::string name) : text_(text) { model_.name = std::move(name); }

  FeModel run() {
    std::vector<std::pair<Keyword, std::vector<DataLine>>> blocks = split();
    for (auto& [keyword, data] : blocks) handle(keyword, data);
    if (step_) fail(step_->line, "*STEP has no *END STEP");
    assignSections();
    buildContact();
    return std::move(model_);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what,
                         ErrorKind kind = ErrorKind::InvalidInput) const {
    throw Error(kind, model_.name + " line " + std::to_string(line) + ": " + what + ".",
                model_.name);
  }

  std::vector<std::pair<Keyword, std::vector<DataLine>>> split() {
    std::vector<std::pair<Keyword, std::vector<DataLine>>> blocks;
    std::istringstream in{std::string(text_)};
    std::string raw;
    int number = 0;
    std::string pending;
    int pendingLine = 0;
    while (std::getline(in, raw)) {
      ++number;
      const std::string line = trim(raw);
      if (line.empty() || line.rfind("**", 0) == 0) continue;
      if (line[0] == '*') {
        if (!pending.empty()) fail(pendingLine, "a data line ends in a comma but nothing follows");
        blocks.emplace_back(parseKeyword(line, number), std::vector<DataLine>{});
        continue;
      }
      if (blocks.empty()) fail(number, "data before the first keyword");
      if (pending.empty()) pendingLine = number;
      pending += line;
      // A trailing comma continues the line, for elements with many nodes; other keywords'
      // lines may end in a comma for an empty last field, so continue only for *ELEMENT.
      if (pending.back() == ',' && blocks.back().first.name == "ELEMENT" &&
          !elementLineComplete(blocks.back().first, pending))
        continue;
      std::vector<std::string> fields = splitCommas(pending);
      while (!fields.empty() && fields.back().empty()) fields.pop_back();
      blocks.back().second.push_back({std::move(fields), pendingLine});
      pending.clear();
    }
    if (!pending.empty()) fail(pendingLine, "a data line ends in a comma but nothing follows");
    return blocks;
  }

  bool elementLineComplete(const Keyword& k, const std::string& line) const {
    const auto type = k.params.find("TYPE");
    if (type == k.params.end()) return true;
    const std::string t = upper(type->second);
    const std::size_t want = t == "C3D10" ? 11 : isBrick(t) ? 9 : 5;
    std::vector<std::string> fields = splitCommas(line);
    while (!fields.empty() && fields.back().empty()) fields.pop_back();
    return fields.size() >= want;
  }

  Keyword parseKeyword(const std::string& line, int number) const {
    std::vector<std::string> fields = splitCommas(std::string_view(line).substr(1));
    Keyword k;
    k.line = number;
    std::istringstream words(upper(fields[0]));
    for (std::string w; words >> w;) k.name += (k.name.empty() ? "" : " ") + w;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (fields[i].empty()) continue;
      const std::size_t eq = fields[i].find('=');
      if (eq == std::string::npos)
        k.params[upper(fields[i])] = "";
      else
        k.params[upper(trim(fields[i].substr(0, eq)))] = trim(fields[i].substr(eq + 1));
    }
    return k;
  }

  double number(const DataLine& d, std::size_t i, const char* what) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, std::string("missing ") + what);
    std::string_view s = d.fields[i];
    if (s.front() == '+') s.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size())
      fail(d.line, std::string(what) + " '" + d.fields[i] + "' is not a number");
    return v;
  }

  int integer(const DataLine& d, std::size_t i, const char* what) const {
    const double v = number(d, i, what);
    if (v != static_cast<int>(v)) fail(d.line, std::string(what) + " must be a whole number");
    return static_cast<int>(v);
  }

  std::string param(const Keyword& k, const char* name) const {
    const auto it = k.params.find(name);
    if (it == k.params.end() || it->second.empty())
      fail(k.line, "*" + k.name + " needs " + name + "=");
    return it->second;
  }

  std::size_t node(int id, int line) const {
    const auto it = nodeIndex_.find(id);
    if (it == nodeIndex_.end())
      fail(line, "node " + std::to_string(id) + " is not defined by any *NODE");
    return it->second;
  }

  std::size_t element(int id, int line) const {
    const auto it = elementIndex_.find(id);
    if (rigidIndex_.count(id))
      fail(line, "element " + std::to_string(id) +
                     " is a brick of a rigid part; only a *SURFACE (the master of a *CONTACT "
                     "PAIR) and its *SOLID SECTION may name it");
    if (it == elementIndex_.end())
      fail(line, "element " + std::to_string(id) + " is not defined by any *ELEMENT");
    return it->second;
  }

  // A node number or a node set name.
  std::vector<std::size_t> nodesOf(const DataLine& d, std::size_t i) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, "missing node or node set");
    const std::string& f = d.fields[i];
    if (std::isdigit(static_cast<unsigned char>(f[0])))
      return {node(integer(d, i, "node"), d.line)};
    const auto set = model_.nodeSets.find(upper(f));
    if (set == model_.nodeSets.end()) fail(d.line, "node set " + f + " is not defined by *NSET");
    return set->second;
  }

  std::vector<std::size_t> elementsOf(const DataLine& d, std::size_t i) const {
    if (i >= d.fields.size() || d.fields[i].empty()) fail(d.line, "missing element or element set");
    const std::string& f = d.fields[i];
    if (std::isdigit(static_cast<unsigned char>(f[0])))
      return {element(integer(d, i, "element"), d.line)};
    const auto set = model_.elementSets.find(upper(f));
    if (rigidSets_.count(upper(f)))
      fail(d.line, "element set " + f +
                       " holds bricks of a rigid part; only a *SURFACE and *SOLID SECTION may "
                       "name it");
    if (set == model_.elementSets.end())
      fail(d.line, "element set " + f + " is not defined by *ELSET");
    return set->second;
  }

  void handle(const Keyword& k, const std::vector<DataLine>& data) {
    const std::string& n = k.name;
    // *SURFACE BEHAVIOR belongs to the *SURFACE INTERACTION right before it.
    if (n != "SURFACE BEHAVIOR") openInteraction_.clear();
    if (n == "HEADING") return;
    if (n == "NODE") return readNodes(k, data);
    if (n == "ELEMENT") return readElements(k, data);
    if (n == "NSET") return readSet(k, data, true);
    if (n == "ELSET") return readSet(k, data, false);
    if (n == "MATERIAL") {
      model_.materials.push_back({});
      model_.materials.back().name = upper(param(k, "NAME"));
      return;
    }
    if (n == "ELASTIC" || n == "HYPERELASTIC" || n == "DENSITY") return readMaterial(k, data);
    if (n == "SURFACE") return readSurface(k, data);
    if (n == "SURFACE INTERACTION") return beginInteraction(k);
    if (n == "SURFACE BEHAVIOR") return readSurfaceBehavior(k, data);
    if (n == "CONTACT PAIR") return readContactPair(k, data);
    if (n == "FRICTION")
      fail(k.line, "*FRICTION is not supported: contact with a rigid obstacle is frictionless",
           ErrorKind::Unsupported);
    if (n == "SOLID SECTION") {
      sections_.push_back({upper(param(k, "ELSET")), upper(param(k, "MATERIAL")), k.line});
      return;
    }
    if (n == "BOUNDARY") return readBoundary(k, data);
    if (n == "CLOAD") return readCload(k, data);
    if (n == "DLOAD") return readDload(k, data);
    if (n == "STEP") return beginStep(k);
    if (n == "STATIC") return readStatic(k, data);
    if (n == "END STEP") {
      if (!step_) fail(k.line, "*END STEP without *STEP");
      model_.steps.push_back(std::move(*step_));
      step_.reset();
      return;
    }
    if (n == "NODE FILE" || n == "EL FILE" || n == "NODE PRINT" || n == "EL PRINT" ||
        n == "NODE OUTPUT" || n == "ELEMENT OUTPUT" || n == "OUTPUT") {
      model_.notes.push_back("line " + std::to_string(k.line) + ": *" + n +
                             " ignored (output request; the result is the nodal displacements)");
      return;
    }
    fail(k.line, "*" + n + " is not supported; supported: " + std::string(supportedInpKeywords()),
         ErrorKind::Unsupported);
  }

  void readNodes(const Keyword& k, const std::vector<DataLine>& data) {
    std::vector<std::size_t> members;
    for (const DataLine& d : data) {
      const int id = integer(d, 0, "node number");
      if (nodeIndex_.count(id)) fail(d.line, "node " + std::to_string(id) + " is defined twice");
      nodeIndex_[id] = model_.nodes.size();
      members.push_back(model_.nodes.size());
      model_.nodes.push_back({id, {number(d, 1, "x"), number(d, 2, "y"), number(d, 3, "z")}});
    }
    if (k.params.count("NSET")) addTo(model_.nodeSets[upper(k.params.at("NSET"))], members);
  }

  void readElements(const Keyword& k, const std::vector<DataLine>& data) {
    const std::string type = upper(param(k, "TYPE"));
    if (isBrick(type)) return readRigidBricks(k, data, type);
    if (type != "C3D4" && type != "C3D10")
      fail(k.line,
           "*ELEMENT TYPE=" + type +
               " is not supported; supported: C3D4, C3D10 (and C3D8, C3D8R for the rigid part "
               "under a *CONTACT PAIR's master surface)",
           ErrorKind::Unsupported);
    const ElementType t = type == "C3D4" ? ElementType::C3D4 : ElementType::C3D10;
    std::vector<std::size_t> members;
    for (const DataLine& d : data) {
      if (d.fields.size() != 1 + nodesPerElement(t))
        fail(d.line, type + " element needs its number and " + std::to_string(nodesPerElement(t)) +
                         " nodes, not " + std::to_string(d.fields.size() - 1));
      Element e{integer(d, 0, "element number"), t, {}, -1};
      if (elementIndex_.count(e.id))
        fail(d.line, "element " + std::to_string(e.id) + " is defined twice");
      for (std::size_t i = 1; i < d.fields.size(); ++i) {
        const int id = integer(d, i, "node number");
        if (!nodeIndex_.count(id))
          fail(d.line, "element " + std::to_string(e.id) + " refers to node " + std::to_string(id) +
                           ", which no *NODE defines");
        e.nodes.push_back(nodeIndex_.at(id));
      }
      elementIndex_[e.id] = model_.elements.size();
      members.push_back(model_.elements.size());
      model_.elements.push_back(std::move(e));
    }
    if (k.params.count("ELSET")) addTo(model_.elementSets[upper(k.params.at("ELSET"))], members);
  }

  static void addTo(std::vector<std::size_t>& set, const std::vector<std::size_t>& members) {
    set.insert(set.end(), members.begin(), members.end());
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
  }

  void readSet(const Keyword& k, const std::vector<DataLine>& data, bool nodes) {
    const std::string name = upper(param(k, nodes ? "NSET" : "ELSET"));
    std::vector<std::size_t> members;
    const bool generate = k.params.count("GENERATE") > 0;
    for (const DataLine& d : data) {
      if (generate) {
        const int first = integer(d, 0, "first"), last = integer(d, 1, "last");
        const int step = d.fields.size() > 2 ? integer(d, 2, "increment") : 1;
        if (step <= 0 || last < first)
          fail(d.line, "GENERATE needs first <= last and increment > 0");
        for (int id = first; id <= last; id += step)
          members.push_back(nodes ? node(id, d.line) : element(id, d.line));
        continue;
      }
      for (std::size_t i = 0; i < d.fields.size(); ++i) {
        if (d.fields[i].empty()) continue;
        const std::vector<std::size_t> m = nodes ? nodesOf(d, i) : elementsOf(d, i);
        members.insert(members.end(), m.begin(), m.end());
      }
    }
    addTo((nodes ? model_.nodeSets : model_.elementSets)[name], members);
  }

  void readMaterial(const Keyword& k, const std::vector<DataLine>& data) {
    if (model_.materials.empty()) fail(k.line, "*" + k.name + " outside a *MATERIAL");
    if (data.empty()) fail(k.line, "*" + k.name + " needs a data line");
    Material& m = model_.materials.back();
    const DataLine& d = data.front();
    if (k.name == "DENSITY") {
      m.density_t_per_mm3 = number(d, 0, "density");
      return;
    }
    if (m.hasLaw) fail(k.line, "material " + m.name + " has two elastic laws");
    m.hasLaw = true;
    if (k.name == "ELASTIC") {
      if (k.params.count("TYPE") && upper(k.params.at("TYPE")) != "ISO")
        fail(k.line, "*ELASTIC TYPE=" + k.params.at("TYPE") + " is not supported; only isotropic",
             ErrorKind::Unsupported);
      m.law = MaterialLaw::LinearElastic;
      m.youngsModulus_MPa = number(d, 0, "Young's modulus");
      m.poissonsRatio = number(d, 1, "Poisson's ratio");
      if (!(m.youngsModulus_MPa > 0) || !(m.poissonsRatio > -1 && m.poissonsRatio < 0.5))
        fail(d.line, "*ELASTIC needs E > 0 and -1 < nu < 0.5");
      return;
    }
    if (!k.params.count("NEO HOOKE"))
      fail(k.line, "*HYPERELASTIC is supported with NEO HOOKE only", ErrorKind::Unsupported);
    m.law = MaterialLaw::NeoHooke;
    m.c10_MPa = number(d, 0, "C10");
    m.d1_perMPa = number(d, 1, "D1");
    if (!(m.c10_MPa > 0) || !(m.d1_perMPa > 0))
      fail(d.line, "NEO HOOKE needs C10 > 0 and D1 > 0 (D1 = 0, incompressible, is not supported)");
  }

  std::vector<PrescribedDisplacement>& boundaryList() {
    return step_ ? step_->boundaries : model_.fixedBoundaries;
  }

  void readBoundary(const Keyword& k, const std::vector<DataLine>& data) {
    for (const DataLine& d : data) {
      const std::vector<std::size_t> nodes = nodesOf(d, 0);
      int first = 1, last = 3;
      double value = 0;
      const std::string kind = d.fields.size() > 1 ? upper(d.fields[1]) : "";
      if (kind == "ENCASTRE" || kind == "PINNED") {
      } else if (!kind.empty() && std::isalpha(static_cast<unsigned char>(kind[0]))) {
        fail(d.line, "*BOUNDARY type " + kind + " is not supported; use ENCASTRE, PINNED or dofs",
             ErrorKind::Unsupported);
      } else {
        first = integer(d, 1, "first degree of freedom");
        last = d.fields.size() > 2 && !d.fields[2].empty() ? integer(d, 2, "last degree of freedom")
                                                           : first;
        value = d.fields.size() > 3 ? number(d, 3, "displacement") : 0;
        if (first < 1 || last < first || last > 6)
          fail(d.line, "degrees of freedom must be 1..6 with first <= last");
      }
      // Dofs 4-6 are rotations, which solid elements do not have (Abaqus ignores them too).
      for (std::size_t n : nodes)
        for (int dof = first; dof <= std::min(last, 3); ++dof)
          boundaryList().push_back({n, dof - 1, value});
    }
    (void)k;
  }

  Step& currentStep(const Keyword& k) {
    if (!step_) fail(k.line, "*" + k.name + " must be inside a *STEP");
    return *step_;
  }

  void readCload(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    for (const DataLine& d : data) {
      const int dof = integer(d, 1, "degree of freedom");
      if (dof < 1 || dof > 3) fail(d.line, "*CLOAD degree of freedom must be 1, 2 or 3");
      const double force = number(d, 2, "force");
      for (std::size_t n : nodesOf(d, 0)) step.nodalForces.push_back({n, dof - 1, force});
    }
  }

  void readDload(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    for (const DataLine& d : data) {
      const std::vector<std::size_t> elements = elementsOf(d, 0);
      const std::string type = d.fields.size() > 1 ? upper(d.fields[1]) : "";
      if (type == "GRAV") {
        GravityLoad g{elements,
                      number(d, 2, "gravity magnitude"),
                      {number(d, 3, "direction x"), number(d, 4, "direction y"),
                       number(d, 5, "direction z")}};
        const double norm =
            std::sqrt(g.direction[0] * g.direction[0] + g.direction[1] * g.direction[1] +
                      g.direction[2] * g.direction[2]);
        if (!(norm > 0)) fail(d.line, "GRAV needs a non-zero direction");
        for (double& c : g.direction) c /= norm;
        for (std::size_t e : elements) pendingGravity_.push_back({e, d.line});
        step.gravity.push_back(std::move(g));
      } else if (type.size() == 2 && type[0] == 'P' && type[1] >= '1' && type[1] <= '4') {
        const double p = number(d, 2, "pressure");
        for (std::size_t e : elements) step.pressures.push_back({e, type[1] - '0', p});
      } else if (type.rfind("TRVEC", 0) == 0 || type.rfind("TRSHR", 0) == 0) {
        fail(d.line,
             "*DLOAD type " + type +
                 " (a traction vector) is not supported, nor by CalculiX; give the traction as "
                 "its consistent nodal forces in *CLOAD",
             ErrorKind::Unsupported);
      } else {
        fail(d.line,
             "*DLOAD type " + (type.empty() ? std::string("(none)") : type) +
                 " is not supported; supported: GRAV, P1, P2, P3, P4",
             ErrorKind::Unsupported);
      }
    }
  }

  void beginStep(const Keyword& k) {
    if (step_) fail(k.line, "*STEP inside a *STEP (missing *END STEP)");
    step_.emplace();
    step_->line = k.line;
    const auto nl = k.params.find("NLGEOM");
    step_->nlgeom = nl != k.params.end() && upper(nl->second) != "NO";
    if (k.params.count("INC")) {
      const int inc = std::atoi(k.params.at("INC").c_str());
      if (inc <= 0) fail(k.line, "*STEP INC= must be a positive whole number");
      step_->maximumIncrements = inc;
    }
  }

  void readStatic(const Keyword& k, const std::vector<DataLine>& data) {
    Step& step = currentStep(k);
    if (data.empty()) return;
    const DataLine& d = data.front();
    auto valueOr = [&](std::size_t i, const char* what, double fallback) {
      return i < d.fields.size() && !d.fields[i].empty() ? number(d, i, what) : fallback;
    };
    step.period = valueOr(1, "time period", 1);
    step.initialIncrement = valueOr(0, "initial increment", step.period);
    step.minimumIncrement = valueOr(2, "minimum increment", step.minimumIncrement);
    if (d.fields.size() > 3 && !d.fields[3].empty())
      step.maximumIncrements = static_cast<int>(number(d, 3, "maximum increment"));
    if (!(step.period > 0) || !(step.initialIncrement > 0))
      fail(d.line, "*STATIC needs a positive initial increment and time period");
  }

  void assignSections() {
    for (const auto& [elset, materialName, line] : sections_) {
      if (rigidSets_.count(elset)) continue;  // the rigid part's section: ccx needs it, we don't
      const auto set = model_.elementSets.find(elset);
      if (set == model_.elementSets.end())
        fail(line, "*SOLID SECTION names element set " + elset + ", which no *ELSET defines");
      const auto m = std::find_if(model_.materials.begin(), model_.materials.end(),
                                  [&](const Material& x) { return x.name == materialName; });
      if (m == model_.materials.end())
        fail(line,
             "*SOLID SECTION names material " + materialName + ", which no *MATERIAL defines");
      if (!m->hasLaw) fail(line, "material " + materialName + " has no *ELASTIC or *HYPERELASTIC");
      for (std::size_t e : set->second)
        model_.elements[e].material = static_cast<int>(m - model_.materials.begin());
    }
    for (const auto& [e, line] : pendingGravity_) {
      const int m = model_.elements[e].material;
      if (m >= 0 && !(model_.materials[static_cast<std::size_t>(m)].density_t_per_mm3 > 0))
        fail(line, "GRAV loads element " + std::to_string(model_.elements[e].id) +
                       ", whose material " + model_.materials[static_cast<std::size_t>(m)].name +
                       " has no *DENSITY");
    }
  }

  // ---- The contact subset: a rigid obstacle given the way ccx takes one (inp_reader.h). ----

  struct RigidBrick {
    int id = 0;
    std::string type;
    std::vector<std::size_t> nodes;
    int line = 0;
  };
  struct SurfaceFace {
    std::size_t element = 0;  // index into model_.elements, or bricks_ when rigid
    bool rigid = false;
    int face = 0;  // S1..S6
  };
  struct Surface {
    bool nodeBased = false;
    std::vector<std::size_t> nodes;
    std::vector<SurfaceFace> faces;
    int line = 0;
  };
  struct Interaction {
    int line = 0;
    std::string law;  // LINEAR or HARD once *SURFACE BEHAVIOR was read
  };
  struct Pair {
    std::string interaction, slave, master;
    int line = 0;
  };

  static bool isBrick(const std::string& type) { return type == "C3D8" || type == "C3D8R"; }

  // Bricks are read only as the rigid part under a master surface: they are checked and turned
  // into the obstacle in buildContact, never meshed.
  void readRigidBricks(const Keyword& k, const std::vector<DataLine>& data,
                       const std::string& type) {
    std::vector<std::size_t> members;
    for (const DataLine& d : data) {
      if (d.fields.size() != 9)
        fail(d.line, type + " element needs its number and 8 nodes, not " +
                         std::to_string(d.fields.size() - 1));
      RigidBrick b{integer(d, 0, "element number"), type, {}, d.line};
      if (elementIndex_.count(b.id) || rigidIndex_.count(b.id))
        fail(d.line, "element " + std::to_string(b.id) + " is defined twice");
      for (std::size_t i = 1; i < 9; ++i) {
        const int id = integer(d, i, "node number");
        if (!nodeIndex_.count(id))
          fail(d.line, "element " + std::to_string(b.id) + " refers to node " + std::to_string(id) +
                           ", which no *NODE defines");
        b.nodes.push_back(nodeIndex_.at(id));
      }
      rigidIndex_[b.id] = bricks_.size();
      members.push_back(bricks_.size());
      bricks_.push_back(std::move(b));
    }
    if (k.params.count("ELSET")) addTo(rigidSets_[upper(k.params.at("ELSET"))], members);
  }

  // *SURFACE, NAME= [, TYPE=ELEMENT|NODE]: element faces (element or set, S1..S6) or nodes.
  void readSurface(const Keyword& k, const std::vector<DataLine>& data) {
    const std::string name = upper(param(k, "NAME"));
    const std::string type = k.params.count("TYPE") ? upper(k.params.at("TYPE")) : "ELEMENT";
    if (type != "ELEMENT" && type != "NODE")
      fail(k.line, "*SURFACE TYPE=" + type + " is not supported; supported: ELEMENT, NODE",
           ErrorKind::Unsupported);
    if (surfaces_.count(name)) fail(k.line, "surface " + name + " is defined twice");
    Surface s;
    s.line = k.line;
    s.nodeBased = type == "NODE";
    for (const DataLine& d : data) {
      if (s.nodeBased) {
        for (std::size_t n : nodesOf(d, 0)) s.nodes.push_back(n);
        continue;
      }
      const std::string label = d.fields.size() > 1 ? upper(d.fields[1]) : "";
      if (label.size() != 2 || label[0] != 'S' || label[1] < '1' || label[1] > '6')
        fail(d.line, "*SURFACE face label '" + label + "' is not supported; give S1 to S6",
             ErrorKind::Unsupported);
      for (SurfaceFace f : facesOf(d)) {
        f.face = label[1] - '0';
        if (!f.rigid && f.face > 4) fail(d.line, "a tetrahedron has faces S1 to S4, not " + label);
        s.faces.push_back(f);
      }
    }
    if (s.nodes.empty() && s.faces.empty()) fail(k.line, "*SURFACE " + name + " is empty");
    surfaces_[name] = std::move(s);
  }

  // The elements of a surface's data line: a number or a set, tissue or rigid part.
  std::vector<SurfaceFace> facesOf(const DataLine& d) const {
    const std::string& f = d.fields[0];
    std::vector<SurfaceFace> faces;
    if (std::isdigit(static_cast<unsigned char>(f[0]))) {
      const int id = integer(d, 0, "element");
      const auto rigid = rigidIndex_.find(id);
      if (rigid != rigidIndex_.end()) return {{rigid->second, true, 0}};
      return {{element(id, d.line), false, 0}};
    }
    const auto rigid = rigidSets_.find(upper(f));
    if (rigid != rigidSets_.end()) {
      for (std::size_t b : rigid->second) faces.push_back({b, true, 0});
      return faces;
    }
    for (std::size_t e : elementsOf(d, 0)) faces.push_back({e, false, 0});
    return faces;
  }

  void beginInteraction(const Keyword& k) {
    openInteraction_ = upper(param(k, "NAME"));
    if (interactions_.count(openInteraction_))
      fail(k.line, "surface interaction " + openInteraction_ + " is defined twice");
    interactions_[openInteraction_] = {k.line, ""};
  }

  // LINEAR (ccx's penalty spring: slope K > 0, tension at large clearance) or HARD. Either is
  // read as exact, frictionless contact: the active set enforces zero penetration (fe_model.h
  // ContactEnforcement::ActiveSet), which ccx approaches as K grows.
  void readSurfaceBehavior(const Keyword& k, const std::vector<DataLine>& data) {
    if (openInteraction_.empty())
      fail(k.line, "*SURFACE BEHAVIOR must follow its *SURFACE INTERACTION");
    const auto law = k.params.find("PRESSURE-OVERCLOSURE");
    const std::string name = law == k.params.end() ? "" : upper(law->second);
    if (name != "LINEAR" && name != "HARD")
      fail(k.line,
           "*SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=" + (name.empty() ? "(none)" : name) +
               " is not supported; supported: LINEAR, HARD",
           ErrorKind::Unsupported);
    if (name == "LINEAR") {
      if (data.empty()) fail(k.line, "PRESSURE-OVERCLOSURE=LINEAR needs the slope K");
      if (!(number(data.front(), 0, "slope K") > 0))
        fail(data.front().line, "the pressure-overclosure slope K must be positive");
    }
    interactions_[openInteraction_].law = name;
  }

  void readContactPair(const Keyword& k, const std::vector<DataLine>& data) {
    if (step_) fail(k.line, "*CONTACT PAIR is model data: put it before the first *STEP");
    for (const auto& [p, value] : k.params)
      if (p != "INTERACTION" && p != "TYPE")
        fail(k.line,
             "*CONTACT PAIR parameter " + p +
                 " is not supported; supported: INTERACTION=, TYPE=NODE TO SURFACE",
             ErrorKind::Unsupported);
    const std::string interaction = upper(param(k, "INTERACTION"));
    const std::string type = upper(param(k, "TYPE"));
    if (type != "NODE TO SURFACE")
      fail(k.line, "*CONTACT PAIR, TYPE=" + type + " is not supported; supported: NODE TO SURFACE",
           ErrorKind::Unsupported);
    if (data.empty()) fail(k.line, "*CONTACT PAIR needs a line: slave surface, master surface");
    for (const DataLine& d : data) {
      if (d.fields.size() != 2)
        fail(d.line, "a *CONTACT PAIR line names the slave and then the master surface");
      pairs_.push_back({interaction, upper(d.fields[0]), upper(d.fields[1]), d.line});
    }
  }

  const Surface& surface(const std::string& name, int line) const {
    const auto it = surfaces_.find(name);
    if (it == surfaces_.end())
      fail(line, "*CONTACT PAIR names surface " + name + ", which no *SURFACE defines");
    return it->second;
  }

  std::array<double, 3> centroid(const std::vector<std::size_t>& nodes) const {
    std::array<double, 3> c{0, 0, 0};
    for (std::size_t n : nodes)
      for (int a = 0; a < 3; ++a) c[a] += model_.nodes[n].x_mm[a] / double(nodes.size());
    return c;
  }

  // The node indices of one surface face (corners; C3D10 mid-side nodes too).
  std::vector<std::size_t> faceNodeIndices(const SurfaceFace& f) const {
    std::vector<std::size_t> nodes;
    if (f.rigid) {
      for (int c : inp::brickFaceCorners(f.face)) nodes.push_back(bricks_[f.element].nodes[c]);
      return nodes;
    }
    const Element& e = model_.elements[f.element];
    for (int c : detail::faceNodes(e.type, f.face)) nodes.push_back(e.nodes[c]);
    return nodes;
  }

  // Nodes held in dofs 1-3 at zero before the first step, and never moved in a step.
  std::vector<char> heldNodes() const {
    std::vector<int> held(model_.nodes.size(), 0);
    std::vector<char> moved(model_.nodes.size(), 0);
    for (const PrescribedDisplacement& p : model_.fixedBoundaries) {
      if (p.value_mm == 0)
        held[p.node] |= 1 << p.dof;
      else
        moved[p.node] = 1;
    }
    for (const Step& s : model_.steps)
      for (const PrescribedDisplacement& p : s.boundaries)
        if (p.value_mm != 0) moved[p.node] = 1;
    std::vector<char> out(model_.nodes.size(), 0);
    for (std::size_t n = 0; n < out.size(); ++n) out[n] = held[n] == 7 && !moved[n];
    return out;
  }

  // A master surface on a rigid part: every node held, the faces in one plane; it becomes
  // TwinPlan's rigid plane, the half-space behind the faces.
  inp::MasterPlane masterPlane(const Pair& p, const Surface& master,
                               std::vector<inp::MasterFace>& faces) const {
    if (master.nodeBased)
      fail(p.line, "the master surface " + p.master +
                       " is node based; give it as element faces (*SURFACE, TYPE=ELEMENT)");
    const std::vector<char> held = heldNodes();
    for (const SurfaceFace& f : master.faces) {
      const std::vector<std::size_t> element =
          f.rigid ? bricks_[f.element].nodes : model_.elements[f.element].nodes;
      for (std::size_t n : element)
        if (!held[n])
          fail(p.line, "the master surface " + p.master + " is not on a rigid part: node " +
                           std::to_string(model_.nodes[n].id) +
                           " of its elements is not held in dofs 1-3 at zero by a *BOUNDARY "
                           "before the first *STEP (TwinPlan's obstacle is rigid and fixed)");
      inp::MasterFace face;
      for (std::size_t n : faceNodeIndices(f)) face.corners.push_back(model_.nodes[n].x_mm);
      if (!f.rigid && face.corners.size() > 3) face.corners.resize(3);  // C3D10: corners only
      face.elementCentroid = centroid(element);
      faces.push_back(std::move(face));
    }
    const inp::MasterPlane plane = inp::fitMasterPlane(faces);
    if (plane.worstOffPlane_mm > 1e-6 * plane.size_mm || !plane.sameSide)
      fail(p.line,
           "the master surface " + p.master + " is not planar (a corner lies " +
               std::to_string(plane.worstOffPlane_mm) +
               " mm off the plane of its first face, or faces face opposite ways); "
               "TwinPlan reads a rigid master surface from a deck as a plane only",
           ErrorKind::Unsupported);
    return plane;
  }

  std::vector<std::size_t> slaveNodes(const Surface& slave) const {
    std::vector<std::size_t> nodes = slave.nodes;
    for (const SurfaceFace& f : slave.faces) {
      if (f.rigid) fail(slave.line, "a slave surface lies on the tissue, not on a rigid part");
      for (std::size_t n : faceNodeIndices(f)) nodes.push_back(n);
    }
    addTo(nodes, {});
    return nodes;
  }

  void buildContact() {
    const std::vector<char> rigidOnly = rigidPartNodes();
    std::vector<char> underMaster(bricks_.size(), 0);
    for (const Pair& p : pairs_) {
      const Surface& master = surface(p.master, p.line);
      for (const SurfaceFace& f : master.faces)
        if (f.rigid) underMaster[f.element] = 1;
      model_.obstacles.push_back(contactObstacle(p, master, rigidOnly));
    }
    for (std::size_t b = 0; b < bricks_.size(); ++b)
      if (!underMaster[b])
        fail(bricks_[b].line,
             "element " + std::to_string(bricks_[b].id) + " (" + bricks_[b].type +
                 ") is under no master surface of a *CONTACT PAIR; bricks are read only as the "
                 "rigid part of a contact (supported element types: C3D4, C3D10)",
             ErrorKind::Unsupported);
    for (const Step& s : model_.steps)
      for (const NodalForce& f : s.nodalForces)
        if (rigidOnly[f.node])
          fail(s.line,
               "*CLOAD on node " + std::to_string(model_.nodes[f.node].id) + " of the rigid part");
    // The rigid part is the obstacle now: its own nodes leave the model.
    if (std::find(rigidOnly.begin(), rigidOnly.end(), 1) != rigidOnly.end())
      inp::removeNodes(model_, rigidOnly);
  }

  // Nodes of the bricks that no tissue element shares.
  std::vector<char> rigidPartNodes() const {
    std::vector<char> rigidOnly(model_.nodes.size(), 0);
    for (const RigidBrick& b : bricks_)
      for (std::size_t n : b.nodes) rigidOnly[n] = 1;
    for (const Element& e : model_.elements)
      for (std::size_t n : e.nodes) rigidOnly[n] = 0;
    return rigidOnly;
  }

  // One *CONTACT PAIR line as TwinPlan's rigid plane, its slave nodes checked against it.
  RigidObstacle contactObstacle(const Pair& p, const Surface& master,
                                const std::vector<char>& rigidOnly) {
    const auto interaction = interactions_.find(p.interaction);
    if (interaction == interactions_.end())
      fail(p.line, "*CONTACT PAIR names interaction " + p.interaction +
                       ", which no *SURFACE INTERACTION defines");
    if (interaction->second.law.empty())
      fail(interaction->second.line, "*SURFACE INTERACTION " + p.interaction +
                                         " needs *SURFACE BEHAVIOR, PRESSURE-OVERCLOSURE=");
    std::vector<inp::MasterFace> faces;
    const inp::MasterPlane plane = masterPlane(p, master, faces);
    RigidObstacle o = rigidPlane(plane.point, plane.normal, slaveNodes(surface(p.slave, p.line)));
    o.name = p.master;
    o.enforcement = ContactEnforcement::ActiveSet;
    const double tolerance = 1e-6 * plane.size_mm;
    for (std::size_t n : o.nodes) {
      const auto& x = model_.nodes[n].x_mm;
      const std::string node = "slave node " + std::to_string(model_.nodes[n].id);
      if (rigidOnly[n]) fail(p.line, node + " belongs to the rigid part, not to the tissue");
      if (o.signedDistance_mm(x) < -tolerance)
        fail(p.line, node + " starts " + std::to_string(-o.signedDistance_mm(x)) +
                         " mm inside the master surface " + p.master);
      if (!inp::liesOverFaces(x, faces, plane, tolerance))
        fail(p.line, node + " does not lie over the master surface " + p.master +
                         " (TwinPlan's rigid plane has no edge: make the master surface reach "
                         "under every slave node)");
    }
    model_.notes.push_back("line " + std::to_string(p.line) + ": *CONTACT PAIR " + p.slave +
                           " on " + p.master +
                           " read as exact frictionless contact with a rigid plane "
                           "(PRESSURE-OVERCLOSURE=" +
                           interaction->second.law + " approximates it in ccx)");
    return o;
  }

  std::vector<RigidBrick> bricks_;
  std::unordered_map<int, std::size_t> rigidIndex_;
  std::map<std::string, std::vector<std::size_t>> rigidSets_;
  std::map<std::string, Surface> surfaces_;
  std::map<std::string, Interaction> interactions_;
  std::string openInteraction_;
  std::vector<Pair> pairs_;

  struct Section {
    std::string elset, material;
    int line;
  };

  std::string_view text_;
  FeModel model_;
  std::unordered_map<int, std::size_t> nodeIndex_, elementIndex_;
  std::vector<Section> sections_;
  std::vector<std::pair<std::size_t, int>> pendingGravity_;
  std::optional<Step> step_;
};

}  // namespace

std::string_view supportedInpKeywords() {
  return "*HEADING, *NODE, *ELEMENT (C3D4, C3D10), *NSET, *ELSET, *MATERIAL, *ELASTIC, "
         "*HYPERELASTIC (NEO HOOKE), *DENSITY, *SOLID SECTION, *BOUNDARY, *CLOAD, *DLOAD (GRAV, "
         "P1-P4), *STEP (NLGEOM), *STATIC, *END STEP, *SURFACE (element faces S1-S6 or nodes), "
         "*SURFACE INTERACTION, *SURFACE BEHAVIOR (PRESSURE-OVERCLOSURE=LINEAR or HARD), "
         "*CONTACT PAIR (TYPE=NODE TO SURFACE, a planar master surface on a held part, C3D8 or "
         "C3D8R allowed there); output requests are ignored";
}

FeModel parseInp(std::string_view text, const std::string& name) {
  return Parser(text, name).run();
}

FeModel readInp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::Io, "Cannot read " + path.string() + ": check that the file exists.",
                path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parseInp(text.str(), path.filename().string());
}

}  // namespace twinplan::tissue
