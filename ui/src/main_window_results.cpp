// The result the views show (issue #19 item 8): one chooser on the Result toolbar picks the
// result field - a dose, an ablation's temperature or damage, a tissue shift's |u| - by its id
// (two results may share a name; a rename keeps the choice), that the 2D overlay AND the 3D
// isosurfaces show; a new result is shown when it arrives. The 3D
// surfaces are built off the GUI thread (IsosurfaceBuilder) and a build for a result no longer
// shown is dropped.
#include <vtkRenderer.h>

#include <QActionGroup>
#include <QComboBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QTableWidget>
#include <QLayout>
#include <QToolBar>
#include <algorithm>
#include <cmath>
#include <set>

#include "dose_display.h"
#include "result_scene.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/error.h"
#include "twinplan/engine/rt_plan_record.h"
#include "twinplan/rendering/mesh_actor.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/isosurface_builder.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

namespace {

// What the chooser says for a result: its name, with its id when another result has the name.
QString resultLabel(const Case& twin, const ScalarField& field) {
  const auto named = std::count_if(twin.fields.begin(), twin.fields.end(),
                                   [&](const ScalarField& f) { return f.name == field.name; });
  return QString::fromStdString(named > 1 ? field.name + " [" + field.id + "]" : field.name);
}

// A cheap signature of a field's values: its size and a weighted sum of about 65 000 of them,
// enough to tell a re-simulated or undone result (same id) from the shown one.
double valueSignature(const ScalarField& f) {
  const std::size_t stride = std::max<std::size_t>(1, f.values.size() / 65536);
  double sum = static_cast<double>(f.values.size());
  for (std::size_t n = 0; n < f.values.size(); n += stride)
    if (std::isfinite(f.values[n])) sum += f.values[n] * static_cast<double>(n % 7 + 1);
  return sum;
}

std::string quantityText(const ScalarField& f) {
  return f.quantity.empty() ? f.unit : f.quantity + (f.unit.empty() ? "" : " (" + f.unit + ")");
}

}  // namespace

void MainWindow::connectResultDisplay() {
  if (!results_) results_ = std::make_shared<ResultScene>();
  results_->builder = new IsosurfaceBuilder(this);
  connect(results_->builder, &IsosurfaceBuilder::ready, this,
          [this](int, std::vector<SurfaceMesh> surfaces, QString failure) {
            showResultSurfaces(std::move(surfaces));
            if (!failure.isEmpty()) statusBar()->showMessage(failure, 10000);
          });
  auto* chooser = new QComboBox(this);
  chooser->setObjectName("resultChooser");
  chooser->setToolTip(tr("The result shown over the images (2D) and as surfaces (3D)"));
  chooser->setFocusPolicy(Qt::NoFocus);
  results_->chooser = chooser;
  // In the menu bar's free right-hand end: at the Display toolbar's end it ran past the window's
  // right edge at 1200 x 900 (session 13), and a toolbar row of its own made the window too tall
  // for a 1280 x 800 screen (session 14). View > Shown result offers it too.
  // A plain row without a toolbar's margins, so the menu bar keeps its height.
  auto* bar = new QToolBar(tr("Result"), this);
  bar->setObjectName("result");
  bar->setMovable(false);
  bar->setContentsMargins(0, 0, 0, 0);
  bar->layout()->setContentsMargins(0, 0, 0, 0);
  bar->layout()->setSpacing(2);
  bar->setStyleSheet("QToolBar { border: 0px; padding: 0px; margin: 0px; }");
  chooser->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  chooser->setMinimumContentsLength(24);
  chooser->setMaximumHeight(menuBar()->sizeHint().height());
  menuBar()->setCornerWidget(bar, Qt::TopRightCorner);
  bar->addWidget(new QLabel(tr(" Result: "), bar));
  bar->addWidget(chooser);
  results_->rename = bar->addAction(tr("Rename…"), this, [this] {
    const ScalarField* shown = shownResult();
    if (!shown) return;
    bool ok = false;
    const QString name =
        QInputDialog::getText(this, tr("Rename the result"), tr("Name:"), QLineEdit::Normal,
                              QString::fromStdString(shown->name), &ok)
            .trimmed();
    if (!ok || name.isEmpty()) return;
    try {
      renameShownResult(name.toStdString());
    } catch (const std::exception& e) {
      showError(tr("Cannot rename the result"), e);
    }
  });
  results_->rename->setObjectName("renameResult");
  results_->rename->setToolTip(
      tr("Rename the shown result; it stays the same result (its id), shown and chosen"));
  // The same choice in the View menu, rebuilt with the list.
  for (QAction* action : menuBar()->actions())
    if (action->menu() && action->text() == tr("&View")) {
      results_->menu = action->menu()->addMenu(tr("Shown &result"));
      results_->menu->setObjectName("resultMenu");
    }
  connect(chooser, &QComboBox::activated, this, [this, chooser](int index) {
    chooseResultById(chooser->itemData(index).toString().toStdString());
  });
  connect(document_, &CaseDocument::caseReplaced, this, [this] {
    results_->known.clear();
    results_->chosen.clear();
    results_->ablationOverlay.reset();  // the case's ablation plan says its overlay again
    results_->referenceByHand_Gy.reset();
    listResults();
    showFieldOverlay();
  });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Fields) listResults();
  });
}

// Lists the case's results in the chooser; a result that arrived is shown (of several that came
// together, the first: a shift's |u| before its components), and when the shown one went (undo)
// the newest left is.
void MainWindow::listResults() {
  const Case& twin = currentCase();
  std::set<std::string> before(results_->known.begin(), results_->known.end());
  std::optional<std::string> arrived;
  results_->known.clear();
  for (const ScalarField& f : twin.fields) {
    results_->known.push_back(f.id);
    if (!arrived && !before.contains(f.id)) arrived = f.id;
  }
  if (arrived)
    results_->chosen = *arrived;
  else if (!results_->chosen.empty() && !findResult(twin, results_->chosen))
    results_->chosen = twin.fields.empty() ? std::string() : twin.fields.back().id;
  QComboBox* chooser = results_->chooser;
  const QSignalBlocker quiet(chooser);
  chooser->clear();
  chooser->addItem(tr("None"), QString());
  for (const ScalarField& f : twin.fields)
    chooser->addItem(resultLabel(twin, f) + QString::fromStdString(" — " + quantityText(f)),
                     QString::fromStdString(f.id));
  chooser->setEnabled(!twin.fields.empty());
  if (QMenu* menu = results_->menu) {
    menu->clear();
    auto* group = new QActionGroup(menu);
    for (int n = 0; n < chooser->count(); ++n) {
      QAction* action = menu->addAction(chooser->itemText(n));
      action->setCheckable(true);
      action->setData(chooser->itemData(n));
      group->addAction(action);
      connect(action, &QAction::triggered, this,
              [this, id = chooser->itemData(n).toString().toStdString()] { chooseResultById(id); });
    }
    menu->addSeparator();
    menu->addAction(results_->rename);  // also here: the toolbar's end can be off the window
  }
  showResult();
}

void MainWindow::chooseResult(const std::string& name) {
  if (name.empty()) return chooseResultById({});
  const Case& twin = currentCase();
  // The newest of that name: what a simulation run again or a new dose just stored.
  const auto named = std::find_if(twin.fields.rbegin(), twin.fields.rend(),
                                  [&](const ScalarField& f) { return f.name == name; });
  if (named == twin.fields.rend())
    throw Error(ErrorKind::NotFound, "The case has no result named \"" + name + "\".", name);
  chooseResultById(named->id);
}

void MainWindow::renameShownResult(const std::string& name) {
  const ScalarField* shown = shownResult();
  if (!shown)
    throw Error(ErrorKind::InvalidInput, "No result is shown: choose the one to rename.", name);
  const auto index = static_cast<std::size_t>(shown - currentCase().fields.data());
  document_->apply(edits::renameResult(currentCase(), index, name));
}

void MainWindow::chooseResultById(const std::string& id) {
  if (!id.empty() && !findResult(currentCase(), id))
    throw Error(ErrorKind::NotFound, "The case has no result with the id \"" + id + "\".", id);
  results_->chosen = id;
  showResult();
}

const ScalarField* MainWindow::shownResult() const {
  return results_ ? findResult(currentCase(), results_->chosen) : nullptr;
}

std::string MainWindow::shownResultName() const {
  const ScalarField* field = shownResult();
  return field ? field->name : std::string();
}

std::string MainWindow::shownResultId() const {
  const ScalarField* field = shownResult();
  return field ? field->id : std::string();
}

// Shows the chosen result in 2D at once and asks for its 3D surfaces; the same levels both.
void MainWindow::showResult() {
  if (!results_ || !results_->builder) return;  // while the window is being built
  const ScalarField* field = shownResult();
  if (results_->rename) results_->rename->setEnabled(field != nullptr);
  // A plan's own dose shown: that plan is chosen in the RT panel, so the beams drawn are the
  // ones that gave the dose (choosing it re-enters here once, through planChosen).
  if (rt_ && field && field->quantity == "dose")
    if (const auto plan = engine::planOfDose(currentCase(), *field))
      if (static_cast<int>(*plan) != rt_->chosenPlan())
        rt_->plansTable()->setCurrentCell(static_cast<int>(*plan), 0);
  {
    QComboBox* chooser = results_->chooser;
    const QSignalBlocker quiet(chooser);
    chooser->setCurrentIndex(
        std::max(0, chooser->findData(QString::fromStdString(shownResultId()))));
    if (results_->menu)
      for (QAction* action : results_->menu->actions())
        action->setChecked(action->data().toString().toStdString() == shownResultId());
  }
  const std::optional<double> reference = doseReference_Gy();
  const rendering::SliceView::FieldDisplay display =
      field ? resultDisplay(*field, reference) : rendering::SliceView::FieldDisplay{};
  for (auto* viewport : slices_) {
    viewport->view().setScalarField(field, display);
    viewport->update();
  }
  showRtReference();
  shareResult();  // the headset and participants show the same result
  if (!field) {
    results_->builtKey.clear();
    results_->builder->clear();
    showResultSurfaces({});
    return;
  }
  const std::vector<SurfaceLevel> levels =
      resultSurfaceLevels(*field, display, slices_[0]->view(), reference);
  // The same field (same values) at the same levels is built once: a probe drag re-shows the
  // overlay many times a second, and every edit of the case's results copies them.
  std::string key = field->id + "#" + std::to_string(valueSignature(*field));
  for (const SurfaceLevel& level : levels) key += "/" + std::to_string(level.level);
  if (key == results_->builtKey) return;
  results_->builtKey = key;
  // The worker gets its own copy: an undo may free the case's field while it runs.
  results_->builder->request(std::make_shared<const ScalarField>(*field), levels);
}

void MainWindow::showResultSurfaces(std::vector<SurfaceMesh> surfaces) {
  vtkRenderer* renderer = volume_->view().renderer();
  for (const auto& actor : results_->actors) renderer->RemoveActor(actor);
  results_->actors.clear();
  results_->surfaces = std::move(surfaces);
  for (const SurfaceMesh& surface : results_->surfaces) {
    results_->actors.push_back(rendering::makeMeshActor(surface));
    renderer->AddActor(results_->actors.back());
  }
  volume_->update();
}

std::vector<SurfaceMesh> MainWindow::isodoseSurfaces() const {
  return results_ ? results_->surfaces : std::vector<SurfaceMesh>{};
}

bool MainWindow::resultSurfacesPending() const { return results_ && results_->builder->busy(); }

IsosurfaceBuilder* MainWindow::isosurfaceBuilder() const {
  return results_ ? results_->builder : nullptr;
}

}  // namespace twinplan::ui
