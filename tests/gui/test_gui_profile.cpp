// The Profile and Runs pages' bridge, without QML: the Pareto front, the bar, run
// and comparison models (under QAbstractItemModelTester), the timeline's painting
// bounded by pixels with 100k ops, the profile controller over stories260K (a run
// stored in a trace and read back, Cancel), and the runs controller over traces
// (the comparison of two runs, the points of the trade-off chart, damaged,
// missing and foreign HDF5 files).
#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>

#include "gui/model_controller.h"
#include "gui/op_bar_model.h"
#include "gui/pareto_front.h"
#include "gui/profile_controller.h"
#include "gui/runs_controller.h"
#include "gui/scatter_item.h"
#include "gui/timeline_item.h"
#include "gui_test_support.h"
#include "profiler/trace_store.h"

using namespace pareto;
using namespace pareto::gui;

namespace {

constexpr int kWaitMs = 30000;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// A run as the recorder would make it: step 0 a prompt of `n_prompt` tokens, then
// `n_decode` steps; each step embeds, runs `n_layer` layers of the 12 block ops and
// samples; every op takes `op_ns`.
prof::Run synthetic_run(int n_decode, int n_layer, int64_t op_ns, int n_prompt = 4, const std::string& name = "") {
    prof::Run run;
    run.config.name = name;
    run.config.model_name = "synthetic";
    run.config.model_path = "/models/synthetic.gguf";
    run.config.model_sha256 = "abc";
    run.config.model_type = "Q8_0";
    run.config.weight_bytes = 1000000;
    run.config.created = "2026-11-23T08:00:00Z";
    run.config.threads = 1;
    int64_t t = 0;
    // Shaped like a schema 1 run (q, k, v, gate and up as separate ops), which the
    // views must show as well as today's grouped qkv and gate_up.
    const OpKind block[] = {OpKind::AttnNorm, OpKind::Q,   OpKind::K,       OpKind::V,  OpKind::Rope,       OpKind::Attention,
                            OpKind::O,        OpKind::FfnNorm, OpKind::Gate, OpKind::Up, OpKind::Activation, OpKind::Down};
    for (int step = 0; step <= n_decode; ++step) {
        prof::TokenRecord tok;
        tok.step = step;
        tok.phase = step == 0 ? Phase::Prefill : Phase::Decode;
        tok.n_tokens = step == 0 ? n_prompt : 1;
        tok.pos = step == 0 ? 0 : n_prompt + step - 1;
        tok.token_id = 1;
        tok.t_begin_ns = t;
        auto add = [&](OpKind k, int layer) {
            prof::OpRecord op;
            op.kind = k;
            op.layer = layer;
            op.step = step;
            op.phase = tok.phase;
            op.n_tokens = tok.n_tokens;
            op.pos = tok.pos;
            op.bytes_read = 1000;
            op.t_begin_ns = t;
            t += op_ns;
            op.t_end_ns = t;
            run.ops.push_back(op);
        };
        add(OpKind::Embed, -1);
        for (int l = 0; l < n_layer; ++l)
            for (OpKind k : block) add(k, l);
        add(OpKind::OutputNorm, -1);
        add(OpKind::LmHead, -1);
        add(OpKind::Sampling, -1);
        tok.t_end_ns = t;
        run.tokens.push_back(tok);
    }
    run.config.n_prompt = n_prompt;
    run.config.n_generated = n_decode + 1;
    run.memory.push_back({0, 5000000, 6000000});
    run.memory_breakdown.push_back({prof::MemoryEntry::Category::Weights, "blk.0.attn_q.weight", "Q8_0", 0, 700000});
    run.memory_breakdown.push_back({prof::MemoryEntry::Category::Weights, "token_embd.weight", "F32", -1, 300000});
    run.memory_breakdown.push_back({prof::MemoryEntry::Category::KvCache, "kv_cache", "F32", -1, 200000});
    run.memory_breakdown.push_back({prof::MemoryEntry::Category::Scratch, "scratch", "F32", -1, 50000});
    return run;
}

bool load(ModelController& mc, const QString& path) {
    QSignalSpy loaded(&mc, &ModelController::modelLoaded);
    mc.open(path, true);
    return loaded.wait(kWaitMs) || loaded.count() > 0;
}

}  // namespace

class TestGuiProfile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
    }

    // ---- the Pareto front -----------------------------------------------------------

    void paretoFrontKeepsTheUndominated() {
        // size (smaller better), tokens/s (larger better), ppl (smaller better)
        const std::vector<ParetoPoint> pts{
            {100, 50, 10.0},  // 0 baseline: the most accurate
            {50, 80, 11.0},   // 1 smaller, faster, a little worse
            {60, 70, 12.0},   // 2 worse than 1 in all three
            {25, 120, 15.0},  // 3 small and fastest
            {25, 120, 15.0},  // 4 equal to 3: equals do not dominate each other
            {30, 100, kNaN},  // 5 never evaluated: its perplexity counts as the worst, so 3 beats it
            {20, 60, kNaN},   // 6 never evaluated but the smallest: nothing beats it
        };
        const std::vector<bool> front = pareto_front(pts);
        const std::vector<bool> expected{true, true, false, true, true, false, true};
        QCOMPARE(front, expected);
        QVERIFY(dominates(pts[1], pts[2]));
        QVERIFY(!dominates(pts[2], pts[1]));
        QVERIFY(!dominates(pts[3], pts[4]));
        QVERIFY(dominates(pts[3], pts[5]));
        QVERIFY(!dominates(pts[0], pts[1]) && !dominates(pts[1], pts[0]));
    }

    void paretoFrontEdgeCases() {
        QVERIFY(pareto_front({}).empty());
        QCOMPARE(pareto_front({{10, 1, 5}}), std::vector<bool>{true});
        // A chain: each dominates the next.
        QCOMPARE(pareto_front({{1, 3, 1}, {2, 2, 2}, {3, 1, 3}}), (std::vector<bool>{true, false, false}));
        // Pure trade-off: nobody dominates.
        QCOMPARE(pareto_front({{1, 1, 3}, {2, 2, 2}, {3, 3, 1}}), (std::vector<bool>{true, true, true}));
    }

    // ---- the Profile page's models ---------------------------------------------------

    void barsOfASyntheticRun() {
        ProfileController pc;
        QAbstractItemModelTester kind_tester(pc.kindBars(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester layer_tester(pc.layerBars(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(!pc.hasRun());
        QCOMPARE(pc.kindBars()->count(), 0);
        pc.setRun(std::make_shared<prof::Run>(synthetic_run(10, 3, 1000)), QString());
        QVERIFY(pc.hasRun());
        QCOMPARE(pc.phase(), 1);  // decode, since there is some
        QCOMPARE(pc.stepCount(), 11);
        QCOMPARE(pc.selectedStep(), 1);
        // Decode: 16 kinds present; each step 3 layers x 12 ops + 4 outside, 1 µs each.
        QCOMPARE(pc.kindBars()->count(), 16);
        QCOMPARE(pc.layerBars()->count(), 4);  // 3 layers + outside
        double share = 0;
        for (const OpBar& b : pc.kindBars()->bars()) share += b.share;
        QVERIFY(std::abs(share - 1.0) < 1e-9);
        const OpBar& q = pc.kindBars()->bars()[2];
        QCOMPARE(q.label, QStringLiteral("q"));
        QCOMPARE(q.ms_per_token, 3 * 0.001);  // 3 layers x 1 µs per generated token
        QCOMPARE(q.gb_per_s, 1.0);            // 1000 bytes per µs
        const QModelIndex first = pc.layerBars()->index(0, 0);
        QCOMPARE(first.data(OpBarModel::LabelRole).toString(), QStringLiteral("layer 0"));
        QCOMPARE(first.data(OpBarModel::MsRole).toDouble(), 12 * 0.001);
        QCOMPARE(first.data(OpBarModel::FractionRole).toDouble(), 1.0);  // the largest bar
        pc.setPhase(0);
        QCOMPARE(pc.kindBars()->bars()[2].ms_per_token, 3 * 0.001 / 4);  // per prompt token
        // The tiles, the memory breakdown.
        const QVariantMap l = pc.latency();
        QCOMPARE(l["nDecode"].toLongLong(), 10);
        QVERIFY(std::abs(l["tpotP50Ms"].toDouble() - 40 * 0.001) < 1e-9);
        QVERIFY(std::abs(l["accounted"].toDouble() - 1.0) < 1e-9);
        const QVariantList mem = pc.memory();
        QCOMPARE(mem.size(), 5);  // Q8_0, F32 weights, KV, scratch, peak RSS
        QCOMPARE(mem[0].toMap()["type"].toString(), QStringLiteral("Q8_0"));
        QCOMPARE(mem[4].toMap()["bytes"].toDouble(), 6000000.0);
        QVERIFY(pc.accuracy().isEmpty());
        pc.setSelectedStep(99);
        QCOMPARE(pc.selectedStep(), 10);
        QCOMPARE(pc.selectedStepInfo()["ops"].toLongLong(), 40);
    }

    void timelinePaintIsBoundedByPixelsNotOps() {
        // 2500 steps x 40 ops = 100 000 ops.
        auto run = std::make_shared<prof::Run>(synthetic_run(2499, 3, 500));
        QCOMPARE(run->ops.size(), size_t(100000));
        TimelineItem timeline;
        timeline.setSize(QSizeF(1200, 320));
        timeline.setRun(run);
        QCOMPARE(timeline.laneCount(), 3);  // attention, feed-forward, the rest
        QImage image(1200, 320, QImage::Format_ARGB32_Premultiplied);
        QPainter painter(&image);
        QElapsedTimer clock;
        clock.start();
        timeline.paint(&painter);
        const qint64 full_ms = clock.elapsed();
        const double plot = 1200 - TimelineItem::kGutter;
        // At most one rectangle per pixel column per lane (and the token lane).
        QVERIFY2(timeline.lastPaintRects() <= int(4 * (plot + 1)), qPrintable(QString::number(timeline.lastPaintRects())));
        QVERIFY(timeline.lastPaintRects() > 3000);  // and the lanes are drawn
        qInfo("100k ops: %d rects, %lld ms", timeline.lastPaintRects(), full_ms);
        // Zoomed in on a few steps: ops are wide, few are visible, each drawn.
        timeline.zoom(0.001, 600);
        QVERIFY(timeline.viewSpanMs() < 0.001 * 2500 * 40 * 500 * 1e-6 + 1e-9);
        timeline.paint(&painter);
        QVERIFY(timeline.lastPaintRects() < 400);
        // Hover names the op: kind, layer, step, duration, GB/s.
        // The first q op in view (lane 0: attention), hovered in its middle.
        const double view0_ns = timeline.viewStartMs() * 1e6, span_ns = timeline.viewSpanMs() * 1e6;
        const prof::OpRecord* q = nullptr;
        for (const prof::OpRecord& op : run->ops)
            if (op.kind == OpKind::Q && op.t_begin_ns >= view0_ns) {
                q = &op;
                break;
            }
        QVERIFY(q);
        const double qx = TimelineItem::kGutter + ((q->t_begin_ns + q->t_end_ns) / 2.0 - view0_ns) / span_ns * plot;
        const QString tip = timeline.describeAt(qx, TimelineItem::kAxis + 26 + 0.5 * (320 - TimelineItem::kAxis - 26) / 3.0);
        QVERIFY2(tip.startsWith(QStringLiteral("q · layer ")) && tip.contains(QStringLiteral("GB/s")), qPrintable(tip));
        timeline.resetView();
        QCOMPARE(timeline.viewStartMs(), 0.0);

        // The flame view of one step: a lane per layer and one outside.
        timeline.setStep(7);
        QCOMPARE(timeline.laneCount(), 4);
        QVERIFY(std::abs(timeline.viewSpanMs() - 40 * 500 * 1e-6) < 1e-9);
        timeline.paint(&painter);
        QCOMPARE(timeline.lastPaintRects(), 40);  // every op of the step, each wider than a pixel
    }

    // ---- the Profile page over a real model --------------------------------------------

    void profilesStories260KIntoATrace() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(load(mc, path));
        ProfileController pc;
        QVERIFY(!pc.profile());  // no model yet
        QVERIFY(pc.error().contains(QStringLiteral("No model")));
        pc.setModel(mc.loadedModel());
        const QString trace = tmp_.filePath(QStringLiteral("profile.h5"));
        pc.setTracePath(trace);
        pc.setNTokens(24);
        pc.setThreads(1);
        QSignalSpy finished(&pc, &ProfileController::finished);
        QSignalSpy written(&pc, &ProfileController::traceWritten);
        QVERIFY(pc.profile());
        QVERIFY(pc.busy());
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(pc.error().isEmpty(), qPrintable(pc.error()));
        QCOMPARE(written.count(), 1);
        const QString name = written.first().at(1).toString();
        QCOMPARE(pc.runInfo()["name"].toString(), name);
        QCOMPARE(pc.runInfo()["source"].toString(), trace);
        const int ops = pc.opCount();
        QVERIFY(ops > 24 * 45);  // 24 steps of 5 layers x 9 ops, and more
        QVERIFY(pc.latency()["ttftMs"].toDouble() > 0);
        QVERIFY(pc.kindBars()->count() >= 12);
        QCOMPARE(pc.layerBars()->count(), 6);  // 5 layers + outside

        // Read back from the trace: the same run.
        pc.setRun(nullptr, {});
        pc.openRun(QUrl::fromLocalFile(trace).toString(), name);
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(pc.opCount(), ops);
        QCOMPARE(pc.runInfo()["name"].toString(), name);

        // Errors are messages: a missing run, a file that is not a trace.
        QSignalSpy failed(&pc, &ProfileController::failed);
        pc.openRun(trace, QStringLiteral("no-such-run"));
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(pc.error().contains(QStringLiteral("no-such-run")), qPrintable(pc.error()));
        QCOMPARE(pc.opCount(), ops);  // the run shown stays
        pc.openRun(path);  // a GGUF file
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(pc.error().contains(QStringLiteral("stories260K.gguf")), qPrintable(pc.error()));

        // Cancel: stops at the next token, stores nothing.
        pc.setNTokens(4000);
        written.clear();
        QVERIFY(pc.profile());
        pc.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!pc.busy(), kWaitMs);
        QCOMPARE(written.count(), 0);
        QCOMPARE(pc.notice(), QStringLiteral("Profiling cancelled"));
        QCOMPARE(prof::TraceFile::open(trace.toStdString()).runs().size(), size_t(1));
    }

    // ---- the Runs page ----------------------------------------------------------------

    void runsOfTracesAreListedComparedAndPlotted() {
        const QString trace = tmp_.filePath(QStringLiteral("runs.h5"));
        prof::append_run(trace.toStdString(), synthetic_run(8, 2, 1000, 4, "slow"));
        prof::append_run(trace.toStdString(), synthetic_run(8, 2, 500, 4, "fast"));
        // An eval run of a second, smaller model: perplexity, no ops.
        prof::Run eval;
        eval.config.name = "eval-small";
        eval.config.kind = "eval";
        eval.config.model_sha256 = "small";
        eval.config.model_name = "synthetic";
        eval.config.model_type = "Q4_0";
        eval.config.weight_bytes = 500000;
        eval.accuracy = prof::AccuracyRecord{};
        eval.accuracy->ppl = 12.5;
        eval.accuracy->has_baseline = true;
        eval.accuracy->kl_mean = 0.02;
        prof::append_run(trace.toStdString(), eval);

        const QString ini = tmp_.filePath(QStringLiteral("runs.ini"));
        QSettings settings(ini, QSettings::IniFormat);
        RunsController rc(&settings);
        QAbstractItemModelTester table_tester(rc.runs(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester kind_tester(rc.kindCompare(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester layer_tester(rc.layerCompare(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy idle(&rc, &RunsController::idle);
        rc.open(QVariantList{QUrl::fromLocalFile(trace).toString()});
        QTRY_VERIFY_WITH_TIMEOUT(idle.count() > 0 && !rc.busy(), kWaitMs);
        QCOMPARE(rc.runs()->count(), 3);
        QCOMPARE(rc.files(), QStringList{trace});
        QCOMPARE(rc.recent().first(), trace);
        QCOMPARE(settings.value("recentTraces").toStringList().first(), trace);
        QCOMPARE(rc.runs()->index(0, RunTableModel::Name).data().toString(), QStringLiteral("slow"));
        QCOMPARE(rc.runs()->index(2, RunTableModel::Ppl).data().toString(), QStringLiteral("12.500"));
        QCOMPARE(rc.runs()->index(2, RunTableModel::DecodeTps).data().toString(), QStringLiteral("–"));
        QCOMPARE(rc.runs()->headerData(RunTableModel::Kl, Qt::Horizontal).toString(), QStringLiteral("KL"));

        // The last two profiled runs are compared: "fast" takes half the time.
        QCOMPARE(rc.runA(), 0);
        QCOMPARE(rc.runB(), 1);
        QVERIFY(rc.hasComparison());
        QCOMPARE(rc.comparison()["ratio"].toDouble(), 0.5);
        QCOMPARE(rc.kindCompare()->count(), 17);  // 16 kinds + total
        QCOMPARE(rc.layerCompare()->count(), 3);  // 2 layers + outside
        const QModelIndex q = rc.kindCompare()->index(2, CompareModel::Ratio);
        QCOMPARE(q.data(CompareModel::RatioRole).toDouble(), 0.5);
        QCOMPARE(rc.kindCompare()->index(2, CompareModel::A).data(CompareModel::ValueRole).toDouble(), 2 * 0.001);
        rc.setComparePhase(0);
        QCOMPARE(rc.comparison()["ratio"].toDouble(), 0.5);

        // Points: two models; the small one is on the front by size, the profiled
        // one by speed (and neither dominates the other).
        QCOMPARE(rc.points().size(), size_t(2));
        QCOMPARE(rc.points()[0].tokens_per_s > 0, true);
        QCOMPARE(rc.points()[0].runs, 2);
        QCOMPARE(rc.points()[1].ppl, 12.5);
        QVERIFY(rc.points()[0].front && rc.points()[1].front);
        ScatterItem scatter;
        scatter.setSize(QSizeF(500, 300));
        scatter.setController(&rc);
        QImage image(500, 300, QImage::Format_ARGB32_Premultiplied);
        QPainter painter(&image);
        scatter.paint(&painter);
        QCOMPARE(scatter.plotted(), 1);  // only the profiled model has a speed
        scatter.setMetric(QStringLiteral("ppl"));
        scatter.paint(&painter);
        QCOMPARE(scatter.plotted(), 1);  // only the evaluated one a perplexity

        // Picking: a click sets B after A; another moves B to A.
        rc.pick(2);
        QCOMPARE(rc.runA(), 1);
        QCOMPARE(rc.runB(), 2);
        QSignalSpy failed(&rc, &RunsController::failed);
        QTRY_VERIFY_WITH_TIMEOUT(!rc.busy(), kWaitMs);
        QVERIFY(!rc.hasComparison());  // an eval run has no ops to compare
        QVERIFY2(rc.error().contains(QStringLiteral("eval-small has no ops")), qPrintable(rc.error()));
        QCOMPARE(rc.kindCompare()->count(), 0);

        // A profile request names the file and the run.
        QSignalSpy show(&rc, &RunsController::profileRunRequested);
        rc.showInProfile(1);
        QCOMPARE(show.first().at(1).toString(), QStringLiteral("fast"));

        rc.close(trace);
        QCOMPARE(rc.runs()->count(), 0);
        QVERIFY(rc.files().isEmpty());
    }

    void badTracesAreMessages() {
        const QString garbage = tmp_.filePath(QStringLiteral("garbage.h5"));
        QFile f(garbage);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();
        RunsController rc(nullptr);
        QSignalSpy failed(&rc, &RunsController::failed);
        rc.open(garbage);
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(rc.error().contains(QStringLiteral("garbage.h5")), qPrintable(rc.error()));
        QCOMPARE(rc.runs()->count(), 0);
        rc.open(tmp_.filePath(QStringLiteral("missing.h5")));
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(rc.error().contains(QStringLiteral("missing.h5")), qPrintable(rc.error()));
        // An HDF5 file of someone else's (h5py, a dependency of the trace tests).
        const QString foreign = tmp_.filePath(QStringLiteral("foreign.h5"));
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral("-c"), QStringLiteral("import h5py, sys; h5py.File(sys.argv[1], 'w').create_dataset('x', data=[1, 2, 3])"),
                  foreign});
        QVERIFY2(py.waitForFinished(30000) && py.exitCode() == 0, py.readAllStandardError().constData());
        rc.open(foreign);
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(rc.error().contains(QStringLiteral("foreign.h5")) && rc.error().contains(QStringLiteral("not a Pareto trace")),
                 qPrintable(rc.error()));
        QVERIFY(rc.files().isEmpty());
    }

    void modelPointsGroupRunsByModel() {
        std::vector<RunRow> rows;
        auto row = [&](const char* sha, uint64_t bytes, double tps, double ppl) {
            RunRow r;
            r.header.config.model_sha256 = sha;
            r.header.config.weight_bytes = bytes;
            r.header.config.model_name = sha;
            if (tps > 0) {
                r.header.n_ops = 10;
                r.header.latency.decode_tokens_per_s = tps;
            }
            if (ppl > 0) {
                r.header.accuracy = prof::AccuracyRecord{};
                r.header.accuracy->ppl = ppl;
            }
            rows.push_back(r);
        };
        row("f16", 1000, 50, 0);
        row("f16", 1000, 60, 0);
        row("f16", 1000, 0, 10.0);
        row("q8", 530, 90, 0);
        row("q8", 530, 0, 10.1);
        row("q4", 280, 80, 0);   // smaller but slower than... nobody smaller: front
        row("q4", 280, 0, 11.0);
        row("bad", 600, 70, 0);  // bigger, slower, worse than q8
        row("bad", 600, 0, 10.5);
        const std::vector<ModelPoint> pts = model_points(rows);
        QCOMPARE(pts.size(), size_t(4));
        QCOMPARE(pts[0].tokens_per_s, 60.0);
        QCOMPARE(pts[0].ppl, 10.0);
        QCOMPARE(pts[0].runs, 3);
        QCOMPARE(pts[0].front, true);   // the most accurate
        QCOMPARE(pts[1].front, true);   // the fastest
        QCOMPARE(pts[2].front, true);   // the smallest
        QCOMPARE(pts[3].front, false);  // q8 beats it everywhere
    }

private:
    QTemporaryDir tmp_;
};

QTEST_MAIN(TestGuiProfile)
#include "test_gui_profile.moc"
