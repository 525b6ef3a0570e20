// The Compress page's bridge without QML: the grid of target types (checked by
// QAbstractItemModelTester), presets, cells set and cycled, the size estimate, and
// the plan the grid makes compressing to exactly the types the grid shows.
#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include "compress/compressor.h"
#include "gui/compress_controller.h"
#include "gui/compress_grid_model.h"
#include "gui_test_support.h"
#include "model/model.h"
#include "model/tensor_set.h"

using namespace pareto;
using namespace pareto::gui;

namespace {

LoadedModelPtr load(const QString& path) {
    auto lm = std::make_shared<LoadedModel>();
    lm->model = std::shared_ptr<const Model>(Model::load(path.toStdString()));
    lm->path = path;
    lm->name = QStringLiteral("stories260K");
    return lm;
}

}  // namespace

class TestGuiCompress : public QObject {
    Q_OBJECT

private slots:
    void gridShapeAndTester() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        CompressGridModel grid;
        QAbstractItemModelTester tester(&grid, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(grid.rowCount(), 0);
        grid.setModel(load(path));
        const auto& m = *grid.model()->model;
        QCOMPARE(grid.rowCount(), static_cast<int>(m.config().n_layer) + 1);
        QCOMPARE(grid.columnCount(), 7);
        QCOMPARE(grid.headerData(0, Qt::Horizontal).toString(), QStringLiteral("attn_q"));
        QCOMPARE(grid.headerData(6, Qt::Horizontal).toString(), QStringLiteral("ffn_down"));
        QCOMPARE(grid.headerData(0, Qt::Vertical).toString(), QStringLiteral("global"));
        QCOMPARE(grid.headerData(1, Qt::Vertical).toString(), QStringLiteral("0"));
        // The global row: the token embedding, and the output matrix unless tied.
        QCOMPARE(grid.index(0, 0).data(CompressGridModel::TensorNameRole).toString(),
                 QStringLiteral("token_embd.weight"));
        const bool has_output = m.tensors().find("output.weight") != nullptr;
        QCOMPARE(grid.index(0, 1).data(CompressGridModel::PresentRole).toBool(), has_output);
        QVERIFY(!grid.index(0, 2).data(CompressGridModel::PresentRole).toBool());
        QCOMPARE(grid.flags(grid.index(0, 2)), Qt::NoItemFlags);
        QCOMPARE(grid.index(1, 6).data(CompressGridModel::TensorNameRole).toString(),
                 QStringLiteral("blk.0.ffn_down.weight"));
        for (int r = 1; r < grid.rowCount(); ++r)
            for (int c = 0; c < 7; ++c) QVERIFY(grid.index(r, c).data(CompressGridModel::PresentRole).toBool());
        // Starts at the q8_0 preset.
        QCOMPARE(grid.preset(), QStringLiteral("q8_0"));
        QCOMPARE(grid.index(2, 3).data().toString(), QStringLiteral("Q8_0"));
        QCOMPARE(grid.currentBytes(), static_cast<double>(m.tensors().total_bytes()));
        QVERIFY(grid.estimatedBytes() < grid.currentBytes());

        // Presets and cells change the estimate the right way.
        QVERIFY(grid.applyPreset(QStringLiteral("q4_0")));
        const double q4 = grid.estimatedBytes();
        QVERIFY(grid.applyPreset(QStringLiteral("q8_0")));
        const double q8 = grid.estimatedBytes();
        QVERIFY(q4 < q8);
        QVERIFY(!grid.applyPreset(QStringLiteral("no-such-preset")));
        QCOMPARE(grid.preset(), QStringLiteral("q8_0"));

        QSignalSpy changed(&grid, &QAbstractItemModel::dataChanged);
        QVERIFY(grid.setType(1, 0, QStringLiteral("F32")));
        QVERIFY(changed.count() > 0);
        QCOMPARE(grid.index(1, 0).data().toString(), QStringLiteral("F32"));
        QVERIFY(grid.estimatedBytes() > q8);
        QVERIFY(grid.preset().isEmpty());
        QVERIFY(grid.cycleType(1, 0));  // F32 -> F16
        QCOMPARE(grid.index(1, 0).data().toString(), QStringLiteral("F16"));
        QVERIFY(!grid.setType(1, 0, QStringLiteral("Q9_9")));
        QVERIFY(!grid.setType(0, 5, QStringLiteral("Q8_0")));  // no tensor there
        QVERIFY(!grid.cycleType(99, 0));
        QVERIFY(grid.setColumnType(6, QStringLiteral("Q4_0")));
        // ffn_down's rows are n_ff long (172 in stories260K, not a multiple of Q4_0's 32):
        // the cells ask for Q4_0 and show what the compressor falls back to.
        for (int r = 1; r < grid.rowCount(); ++r) {
            QCOMPARE(grid.index(r, 6).data(CompressGridModel::WantedTypeRole).toString(), QStringLiteral("Q4_0"));
            const bool fits = m.tensors().find("blk.0.ffn_down.weight")->dim(0) % 32 == 0;
            QCOMPARE(grid.index(r, 6).data().toString() == QStringLiteral("Q4_0"), fits);
            QCOMPARE(grid.index(r, 6).data(CompressGridModel::FallbackRole).toBool(), !fits);
        }

        grid.setModel(nullptr);
        QCOMPARE(grid.rowCount(), 0);
    }

    // A K-quant asked for rows shorter than 256 shows the type it falls back to.
    void fallbackShown() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        CompressGridModel grid;
        grid.setModel(load(path));
        const auto* t = grid.model()->model->tensors().find("blk.0.attn_q.weight");
        QVERIFY(t);
        QVERIFY(grid.setType(1, 0, QStringLiteral("Q4_K")));
        const bool short_rows = t->dim(0) % 256 != 0;
        QCOMPARE(grid.index(1, 0).data(CompressGridModel::FallbackRole).toBool(), short_rows);
        QCOMPARE(grid.index(1, 0).data(CompressGridModel::WantedTypeRole).toString(), QStringLiteral("Q4_K"));
        if (short_rows) QVERIFY(grid.index(1, 0).data().toString() != QStringLiteral("Q4_K"));
    }

    // The plan built from a mixed grid compresses every matrix to the type its cell
    // shows, and the compressed size is the estimate.
    void planFromGridCompressesToShownTypes() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        CompressGridModel grid;
        grid.setModel(load(path));
        QVERIFY(grid.applyPreset(QStringLiteral("q4_0")));
        QVERIFY(grid.setType(0, 0, QStringLiteral("Q8_0")));
        QVERIFY(grid.setType(1, 2, QStringLiteral("F16")));
        QVERIFY(grid.setType(2, 6, QStringLiteral("keep")));
        QVERIFY(grid.setColumnType(1, QStringLiteral("Q5_0")));
        QVERIFY(grid.setType(1, 3, QStringLiteral("Q6_K")));  // falls back on short rows

        const Model& base = *grid.model()->model;
        const CompressResult result = compress_model(base, grid.plan());
        int checked = 0;
        for (const TensorReport& r : result.tensors) {
            const auto at = grid.cellOf(r.name);
            if (!at) continue;
            const QString shown = grid.index(at->first, at->second).data().toString();
            QCOMPARE(QString::fromUtf8(dtype_name(r.to).data()), shown);
            QCOMPARE(static_cast<double>(r.bytes_after),
                     grid.index(at->first, at->second).data(CompressGridModel::BytesAfterRole).toDouble());
            ++checked;
        }
        QCOMPARE(checked, 1 + 7 * static_cast<int>(base.config().n_layer) +
                              (base.tensors().find("output.weight") ? 1 : 0));
        QCOMPARE(static_cast<double>(result.model->tensors().total_bytes()), grid.estimatedBytes());
    }

    // Apply in the worker: q8_0 over stories260K shrinks it and barely moves its
    // predictions on TinyStories text; the result exports as a GGUF that loads with
    // the types the grid showed.
    void applyEvaluateExport() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        PARETO_QREQUIRE_DATA(text, "data/tinystories/tinystories_validation_head.txt");
        CompressController cc;
        QVERIFY(!cc.canApply());
        cc.setModel(load(path));
        QVERIFY(cc.canApply());
        QCOMPARE(cc.grid()->preset(), QStringLiteral("q8_0"));
        cc.setPruneMethod(QStringLiteral("wanda"));
        QVERIFY(cc.needsCalibration());
        QVERIFY(!cc.canApply());  // Wanda without a text
        cc.setPruneMethod(QStringLiteral("none"));
        cc.setCalibrationPath(QUrl::fromLocalFile(text).toString());
        QCOMPARE(cc.calibrationPath(), text);
        cc.setEvalChunks(2);

        QSignalSpy applied(&cc, &CompressController::applied);
        QSignalSpy failed(&cc, &CompressController::failed);
        cc.apply();
        QVERIFY(cc.busy());
        QVERIFY(applied.wait(60000));
        QTRY_VERIFY(!cc.busy());
        QCOMPARE(failed.count(), 0);
        QVERIFY(cc.hasResult());
        QVERIFY(cc.resultBytes() < cc.baseBytes());
        QCOMPARE(cc.resultBytes(), cc.grid()->estimatedBytes());
        QVERIFY(cc.evaluated());
        QVERIFY(cc.basePpl() > 1 && cc.resultPpl() > 1);
        QVERIFY(std::abs(cc.resultPpl() - cc.basePpl()) / cc.basePpl() < 0.05);
        QVERIFY(cc.klMean() >= 0 && cc.klMean() < 0.01);
        QVERIFY(cc.sameTopRate() > 0.9);

        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("q8.gguf"));
        QSignalSpy exported(&cc, &CompressController::exported);
        cc.exportTo(out);
        QVERIFY(exported.wait(20000));
        const auto reloaded = Model::load(out.toStdString());
        for (const auto& t : reloaded->tensors().tensors()) {
            const auto at = cc.grid()->cellOf(t.name);
            if (!at) continue;
            QCOMPARE(QString::fromUtf8(dtype_name(t.type).data()), cc.grid()->index(at->first, at->second).data().toString());
        }
        QCOMPARE(static_cast<double>(reloaded->tensors().total_bytes()), cc.resultBytes());
    }

    // The sensitivity scan fills the heat map group by group: every matrix gets the
    // KL of its group, a layer's attention matrices share one, Q4_0 moves the model.
    void sensitivityHeatMap() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        PARETO_QREQUIRE_DATA(text, "data/tinystories/tinystories_validation_head.txt");
        CompressController cc;
        cc.setModel(load(path));
        QVERIFY(!cc.canScan());  // no text
        cc.setCalibrationPath(text);
        cc.setEvalChunks(2);
        QVERIFY(cc.canScan());
        QCOMPARE(cc.scanType(), QStringLiteral("Q4_0"));
        QSignalSpy scanned(&cc, &CompressController::scanned);
        QSignalSpy failed(&cc, &CompressController::failed);
        cc.scanSensitivity();
        QVERIFY(scanned.wait(120000));
        QCOMPARE(failed.count(), 0);
        CompressGridModel& g = *cc.grid();
        QVERIFY(g.hasSensitivity());
        QVERIFY(g.maxSensitivity() > 0);
        double max_heat = 0;
        for (int r = 0; r < g.rowCount(); ++r)
            for (int c = 0; c < g.columnCount(); ++c) {
                const QModelIndex i = g.index(r, c);
                if (!i.data(CompressGridModel::PresentRole).toBool()) continue;
                const double kl = i.data(CompressGridModel::SensitivityRole).toDouble();
                QVERIFY2(kl >= 0, qPrintable(i.data(CompressGridModel::TensorNameRole).toString()));
                max_heat = std::max(max_heat, i.data(CompressGridModel::HeatRole).toDouble());
            }
        QCOMPARE(max_heat, 1.0);
        for (int r = 1; r < g.rowCount(); ++r) {
            QCOMPARE(g.index(r, 0).data(CompressGridModel::SensitivityRole), g.index(r, 3).data(CompressGridModel::SensitivityRole));
            QCOMPARE(g.index(r, 4).data(CompressGridModel::SensitivityRole), g.index(r, 6).data(CompressGridModel::SensitivityRole));
        }
    }

    // Cancel during Apply: no result, no error, and the controller can apply again.
    void cancelApply() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        PARETO_QREQUIRE_DATA(text, "data/tinystories/tinystories_validation_head.txt");
        CompressController cc;
        cc.setModel(load(path));
        cc.setCalibrationPath(text);
        cc.setPruneMethod(QStringLiteral("sparsegpt"));
        QVERIFY(cc.canApply());
        QSignalSpy failed(&cc, &CompressController::failed);
        QSignalSpy applied(&cc, &CompressController::applied);
        cc.apply();
        cc.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!cc.busy(), 60000);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(applied.count(), 0);
        QVERIFY(!cc.hasResult());
        QCOMPARE(cc.stage(), QStringLiteral("Cancelled"));
        QVERIFY(cc.canApply());
    }

    // Magnitude 2:4 pruning over the blocks: half of every block matrix is zero.
    void pruneTwoFourPlan() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        CompressController cc;
        cc.setModel(load(path));
        cc.setPruneMethod(QStringLiteral("magnitude"));
        cc.setTwoFour(true);
        QVERIFY(cc.canApply());
        const CompressionPlan p = cc.plan();
        QCOMPARE(p.prune.size(), size_t{1});
        QVERIFY(p.prune[0].target.is_n_m());
        const CompressResult r = compress_model(*cc.grid()->model()->model, p);
        for (const TensorReport& t : r.tensors)
            if (t.name.rfind("blk.", 0) == 0) QVERIFY2(std::abs(t.sparsity - 0.5) < 0.02, t.name.c_str());
    }
};

QTEST_GUILESS_MAIN(TestGuiCompress)
#include "test_gui_compress.moc"
