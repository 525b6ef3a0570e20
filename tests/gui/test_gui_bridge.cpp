// The workbench's C++ bridge, without QML: item models (checked by
// QAbstractItemModelTester), the worker, and the controllers over real models.
#include <QAbstractItemModelTester>
#include <QFileInfo>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>

#include "gui/app_options.h"
#include "gui/demo_model_controller.h"
#include "gui/format.h"
#include "gui/generator.h"
#include "gui/kiosk_controller.h"
#include "gui/model_controller.h"
#include "gui/model_info.h"
#include "gui/pareto_front.h"
#include "gui/recent_models.h"
#include "gui/task_runner.h"
#include "gui/tensor_tree_model.h"
#include "gui/workbench.h"
#include "gui_test_support.h"
#include "model/convert.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "util/error.h"

using namespace pareto;
using namespace pareto::gui;

namespace {

constexpr int kWaitMs = 20000;

// Opens and loads `path` on `mc` (at context `n_ctx` when > 0); false when that
// does not happen.
bool open_and_load(ModelController& mc, const QString& path, int n_ctx = 0) {
    QSignalSpy opened(&mc, &ModelController::opened);
    mc.open(path);
    if (!opened.wait(kWaitMs)) return false;
    if (n_ctx > 0) mc.setContextLength(n_ctx);
    QSignalSpy loaded(&mc, &ModelController::modelLoaded);
    mc.load();
    return loaded.wait(kWaitMs) || loaded.count() > 0;
}

// The text pareto::generate() produces for `prompt` with `sampler`, decoded the way
// the Playground shows it.
QString engine_text(const QString& model_path, const QString& prompt, const SamplerParams& sampler, int n_predict,
                    int64_t n_ctx) {
    const auto model = Model::load(model_path.toStdString());
    SessionParams sp = session_default_params();
    sp.n_ctx = n_ctx;
    Session session(*model, sp);
    const Tokenizer& tok = model->tokenizer();
    TokenizeOptions topt;
    topt.add_bos = tok.add_bos_default();
    const auto tokens = tok.encode(prompt.toStdString(), topt);
    GenerateParams gp = generate_default_params();
    gp.n_predict = n_predict;
    gp.sampler = sampler;
    std::string out;
    generate(session, tokens, gp, [&](TokenId id) {
        out += tok.token_to_piece(id);
        return true;
    });
    return QString::fromStdString(out);
}

}  // namespace

class TestGuiBridge : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
    }

    // ---- formatting -----------------------------------------------------------------

    void formatsNumbers() {
        QCOMPARE(format_bytes(512), QStringLiteral("512 B"));
        QCOMPARE(format_bytes(1536), QStringLiteral("1.50 KiB"));
        QCOMPARE(format_bytes(1024.0 * 1024 * 1023.99), QStringLiteral("1.00 GiB"));
        QCOMPARE(format_bytes(3.2e9), QStringLiteral("2.98 GiB"));
        QCOMPARE(format_count(4096), QStringLiteral("4096"));
        QCOMPARE(format_count(135e6), QStringLiteral("135 M"));
        QCOMPARE(format_count(1.54e9), QStringLiteral("1.54 B"));
        QCOMPARE(format_shape({896, 151936}), QStringLiteral("896 × 151936"));
        Fmt f;
        QCOMPARE(f.ms(0.42), QStringLiteral("0.42 ms"));
        QCOMPARE(f.ms(1520), QStringLiteral("1.52 s"));
        QCOMPARE(f.rate(12.345), QStringLiteral("12.3"));
        QCOMPARE(f.rate(0), QStringLiteral("–"));
    }

    void utf8PrefixHoldsBackIncompleteCharacters() {
        QCOMPARE(utf8_complete_prefix("abc"), size_t{3});
        QCOMPARE(utf8_complete_prefix(""), size_t{0});
        const std::string euro = "\xE2\x82\xAC";  // €
        QCOMPARE(utf8_complete_prefix("a" + euro), size_t{4});
        QCOMPARE(utf8_complete_prefix("a" + euro.substr(0, 1)), size_t{1});
        QCOMPARE(utf8_complete_prefix("a" + euro.substr(0, 2)), size_t{1});
        const std::string smile = "\xF0\x9F\x98\x80";  // 4 bytes
        QCOMPARE(utf8_complete_prefix(smile.substr(0, 3)), size_t{0});
        QCOMPARE(utf8_complete_prefix(smile), size_t{4});
        QCOMPARE(utf8_complete_prefix("\x80\x80"), size_t{2});  // stray continuation bytes pass on
    }

    void rateHistoryIsEvenlyBucketed() {
        QVERIFY(rate_history({}).isEmpty());
        QVERIFY(rate_history({5, 6}).isEmpty());
        // A token every 2 ms after the first: 500 tokens/s everywhere.
        std::vector<double> t;
        for (int i = 0; i < 241; ++i) t.push_back(10.0 + 2.0 * i);
        const QVariantList r = rate_history(t, 60);
        QCOMPARE(r.size(), 60);
        for (const QVariant& v : r) QCOMPARE(v.toDouble(), 500.0);
        // Slower at the end: the last point shows it.
        t.push_back(t.back() + 100);
        const QVariantList slow = rate_history(t, 4);
        QVERIFY(slow.last().toDouble() < slow.first().toDouble());
    }

    // ---- command line ---------------------------------------------------------------

    void parsesOptions() {
        AppOptions o;
        QCOMPARE(parse_app_options({"pareto", "--model", "m.gguf", "--page", "Playground", "--screenshot", "out.png",
                                    "-p", "Hi", "-n", "32", "--seed", "7", "--size", "800x600", "--expect", "a, b"},
                                   o),
                 QString());
        QCOMPARE(o.model, QStringLiteral("m.gguf"));
        QCOMPARE(o.page, QStringLiteral("playground"));
        QCOMPARE(o.prompt, QStringLiteral("Hi"));
        QCOMPARE(*o.n_predict, 32);
        QCOMPARE(*o.seed, qint64{7});
        QCOMPARE(o.size, QSize(800, 600));
        QCOMPARE(o.expect, (QStringList{"a", "b"}));

        AppOptions k;
        QCOMPARE(parse_app_options({"pareto", "--kiosk"}, k), QString());
        QVERIFY(k.kiosk);
        QCOMPARE(k.kiosk_cycles, 1);
    }

    void refusesBadOptions_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("page") << QStringList{"pareto", "--page", "nowhere"} << "nowhere";
        QTest::newRow("size") << QStringList{"pareto", "--size", "12"} << "--size";
        QTest::newRow("n") << QStringList{"pareto", "-n", "0"} << "n-predict";
        QTest::newRow("temp") << QStringList{"pareto", "--temp", "hot"} << "--temp";
        QTest::newRow("positional") << QStringList{"pareto", "model.gguf"} << "model.gguf";
        QTest::newRow("kiosk page") << QStringList{"pareto", "--kiosk", "--page", "model"} << "--kiosk";
        QTest::newRow("expect alone") << QStringList{"pareto", "--expect", "x"} << "--screenshot";
        QTest::newRow("unknown") << QStringList{"pareto", "--frobnicate"} << "frobnicate";
    }
    void refusesBadOptions() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        AppOptions o;
        const QString error = parse_app_options(args, o);
        QVERIFY2(error.contains(mentions), qPrintable(error));
    }

    // ---- worker ---------------------------------------------------------------------

    void taskRunnerRunsOffTheUiThreadAndReportsBack() {
        TaskRunner runner(QStringLiteral("test"));
        std::atomic<bool> off_ui{false};
        bool done = false;
        QList<double> progress;
        runner.start(
            [&off_ui, ui = QThread::currentThread()](TaskContext& ctx) {
                off_ui = QThread::currentThread() != ui;
                ctx.progress(0.5, QStringLiteral("half"));
            },
            {.done = [&] { done = true; }, .progress = [&](double f, const QString&) { progress << f; }});
        QVERIFY(runner.busy());
        QTRY_VERIFY_WITH_TIMEOUT(done, kWaitMs);
        QVERIFY(off_ui);
        QCOMPARE(progress, QList<double>{0.5});
        QVERIFY(!runner.busy());
    }

    void taskRunnerReportsFailuresAndCancellation() {
        TaskRunner runner(QStringLiteral("test"));
        QString failure;
        runner.start([](TaskContext&) { fail("file.gguf: broken"); }, {.failed = [&](const QString& m) { failure = m; }});
        QTRY_COMPARE_WITH_TIMEOUT(failure, QStringLiteral("file.gguf: broken"), kWaitMs);

        // A running job sees cancel(); a job queued behind it never runs.
        std::atomic<bool> started{false}, release{false};
        bool first_cancelled = false, second_ran = false, second_cancelled = false;
        runner.start(
            [&](TaskContext& ctx) {
                started = true;
                while (!release) std::this_thread::yield();
                ctx.check_cancelled();
            },
            {.cancelled = [&] { first_cancelled = true; }});
        runner.start([&](TaskContext&) { second_ran = true; }, {.cancelled = [&] { second_cancelled = true; }});
        QTRY_VERIFY_WITH_TIMEOUT(started, kWaitMs);
        runner.cancel();
        release = true;
        QTRY_VERIFY_WITH_TIMEOUT(first_cancelled && second_cancelled, kWaitMs);
        QVERIFY(!second_ran);

        // Jobs started after cancel() run normally.
        bool later = false;
        runner.start([](TaskContext&) {}, {.done = [&] { later = true; }});
        QTRY_VERIFY_WITH_TIMEOUT(later, kWaitMs);
    }

    void taskRunnerDestructionWaitsAndDropsCallbacks() {
        std::atomic<bool> started{false}, finished{false};
        bool callback = false;
        {
            TaskRunner runner(QStringLiteral("test"));
            runner.start(
                [&](TaskContext& ctx) {
                    started = true;
                    while (!ctx.cancelled()) std::this_thread::yield();
                    finished = true;
                },
                {.done = [&] { callback = true; }, .cancelled = [&] { callback = true; }});
            QTRY_VERIFY_WITH_TIMEOUT(started, kWaitMs);
        }  // cancels, waits
        QVERIFY(finished);
        QCoreApplication::processEvents();
        QVERIFY(!callback);
    }

    // ---- item models ----------------------------------------------------------------

    void tensorTreeOfStories260K() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        const ModelInfo info = inspect_model(path.toStdString());
        TensorTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setGroups(info.groups);

        QCOMPARE(model.groupCount(), 6);  // global + 5 layers
        QCOMPARE(model.tensorCount(), 48);
        QCOMPARE(model.columnCount(), int(TensorTreeModel::ColumnCount));
        const QModelIndex global = model.index(0, 0);
        QCOMPARE(global.data().toString(), QStringLiteral("Embeddings and output"));
        QCOMPARE(model.rowCount(global), 3);
        const QModelIndex layer0 = model.index(1, 0);
        QCOMPARE(layer0.data().toString(), QStringLiteral("Layer 0"));
        QCOMPARE(model.rowCount(layer0), 9);
        QVERIFY(layer0.data(TensorTreeModel::IsGroupRole).toBool());
        QCOMPARE(layer0.data(TensorTreeModel::LayerRole).toInt(), 0);

        // The first tensor of layer 0, column by column.
        const QModelIndex t = model.index(0, 0, layer0);
        QCOMPARE(model.parent(t), layer0);
        QVERIFY(t.data().toString().startsWith(QStringLiteral("blk.0.")));
        QCOMPARE(model.index(0, TensorTreeModel::TypeColumn, layer0).data().toString(), QStringLiteral("F32"));
        QVERIFY(!model.index(0, 0, layer0).data(TensorTreeModel::IsGroupRole).toBool());
        QCOMPARE(model.rowCount(t), 0);

        // Bytes add up: the groups' to the file's weights, each group's to its tensors'.
        qint64 sum = 0;
        for (int g = 0; g < model.groupCount(); ++g) {
            const QModelIndex gi = model.index(g, 0);
            qint64 tensors = 0;
            for (int r = 0; r < model.rowCount(gi); ++r) tensors += model.index(r, 0, gi).data(TensorTreeModel::BytesRole).toLongLong();
            QCOMPARE(gi.data(TensorTreeModel::BytesRole).toLongLong(), tensors);
            sum += tensors;
        }
        QCOMPARE(sum, static_cast<qint64>(info.weight_bytes));
        QCOMPARE(model.headerData(TensorTreeModel::BytesColumn, Qt::Horizontal).toString(), QStringLiteral("Bytes"));
        QVERIFY(model.roleNames().contains(TensorTreeModel::ShareRole));

        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void tensorTreeOfAMixedTypeModel() {
        const QString path = test::write_tiny_model(tmp_, "Q4_K_M");
        const ModelInfo info = inspect_model(path.toStdString());
        TensorTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setGroups(info.groups);
        QCOMPARE(model.groupCount(), 3);  // global + 2 layers
        // A layer mixes Q4_K matrices and F32 norms: no single type for the group.
        const QModelIndex layer0 = model.index(1, 0);
        const QString types = model.index(1, TensorTreeModel::TypeColumn).data().toString();
        QVERIFY2(types.contains("Q4_K") && types.contains("F32"), qPrintable(types));
        QCOMPARE(layer0.data(TensorTreeModel::TypeRole).toString(), QString());
        // Q4_K_M gives the output matrix Q6_K; the types are listed by bytes, largest first.
        QStringList names;
        for (const TypeShare& t : info.types) names << QString::fromStdString(t.type);
        QVERIFY2(names.contains("Q6_K") && names.contains("Q4_K") && names.contains("F32"), qPrintable(names.join(',')));
        for (size_t i = 1; i < info.types.size(); ++i) QVERIFY(info.types[i - 1].n_bytes >= info.types[i].n_bytes);
    }

    void recentModelsPersistAndStayBounded() {
        const QString ini = tmp_.filePath(QStringLiteral("recent.ini"));
        {
            QSettings settings(ini, QSettings::IniFormat);
            RecentModels recent(&settings);
            QAbstractItemModelTester tester(&recent, QAbstractItemModelTester::FailureReportingMode::QtTest);
            QCOMPARE(recent.count(), 0);
            for (int i = 0; i < RecentModels::kMaxEntries + 3; ++i) recent.add(tmp_.filePath(QStringLiteral("m%1.gguf").arg(i)));
            QCOMPARE(recent.count(), RecentModels::kMaxEntries);
            recent.add(tmp_.filePath(QStringLiteral("m5.gguf")));  // again: moves to the front, no duplicate
            QCOMPARE(recent.count(), RecentModels::kMaxEntries);
            QCOMPARE(recent.index(0).data(RecentModels::FileNameRole).toString(), QStringLiteral("m5.gguf"));
            QVERIFY(!recent.index(0).data(RecentModels::ExistsRole).toBool());
            recent.remove(recent.paths().last());
            QCOMPARE(recent.count(), RecentModels::kMaxEntries - 1);
        }
        QSettings settings(ini, QSettings::IniFormat);
        RecentModels again(&settings);
        QCOMPARE(again.count(), RecentModels::kMaxEntries - 1);
        QCOMPARE(again.paths().first(), tmp_.filePath(QStringLiteral("m5.gguf")));
        again.clear();
        QCOMPARE(again.count(), 0);
    }

    // ---- the Model page -------------------------------------------------------------

    void openingABadFileNamesIt() {
        ModelController mc;
        QSignalSpy failed(&mc, &ModelController::failed);
        const QString junk = tmp_.filePath(QStringLiteral("junk.gguf"));
        {
            QFile f(junk);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("this is not a model");
        }
        mc.open(junk);
        QVERIFY(failed.wait(kWaitMs));
        QCOMPARE(mc.state(), ModelController::Failed);
        QVERIFY2(mc.error().contains(junk), qPrintable(mc.error()));
        QVERIFY(!mc.hasInfo());

        mc.open(QStringLiteral("/nonexistent/model.gguf"));
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(mc.error().contains(QStringLiteral("/nonexistent/model.gguf")), qPrintable(mc.error()));

        mc.open(tmp_.path());  // a folder that is not a checkpoint
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(mc.error().contains(QStringLiteral("config.json")), qPrintable(mc.error()));
    }

    // A HuggingFace folder opens like a GGUF file: same architecture, same tensors.
    void huggingFaceFolderOpens() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        const auto gguf = Model::load(path.toStdString());
        const QString dir = tmp_.path() + QStringLiteral("/hf");
        write_hf_checkpoint(*gguf, dir.toStdString());
        ModelController mc;
        QVERIFY(open_and_load(mc, dir));
        QVERIFY(mc.hasInfo());
        const ModelInfo& info = *mc.info();
        QCOMPARE(info.config.n_layer, gguf->config().n_layer);
        QCOMPARE(info.n_params, gguf->tensors().total_elements());
        QCOMPARE(static_cast<int>(info.groups.size()), static_cast<int>(gguf->config().n_layer) + 1);
    }

    void badFileLeavesTheOpenModelAsItWas() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        QSignalSpy failed(&mc, &ModelController::failed);
        mc.open(QStringLiteral("file:///nonexistent/x.gguf"));
        QVERIFY(failed.wait(kWaitMs));
        QCOMPARE(mc.state(), ModelController::Loaded);
        QCOMPARE(mc.path(), QDir::cleanPath(QFileInfo(path).absoluteFilePath()));
        QVERIFY(mc.loadedModel());
    }

    void inspectsLoadsAndEstimatesMemory() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        mc.setThreads(3);
        QSignalSpy opened(&mc, &ModelController::opened);
        mc.open(path);
        QVERIFY(opened.wait(kWaitMs));
        QCOMPARE(mc.state(), ModelController::Ready);
        QVERIFY(!mc.loadedModel());
        const QVariantMap a = mc.architecture();
        QCOMPARE(a["arch"].toString(), QStringLiteral("llama"));
        QCOMPARE(a["layers"].toLongLong(), 5);
        QCOMPARE(a["heads"].toLongLong(), 8);
        QCOMPARE(a["kvHeads"].toLongLong(), 4);
        QCOMPARE(a["headDim"].toLongLong(), 8);
        QCOMPARE(a["ffn"].toLongLong(), 172);
        QCOMPARE(a["vocab"].toLongLong(), 512);
        QCOMPARE(a["context"].toLongLong(), 2048);
        QCOMPARE(mc.tokenizer()["vocab"].toLongLong(), 512);
        QCOMPARE(mc.tensors()->tensorCount(), 48);
        QCOMPARE(mc.contextMax(), 2048);

        // The estimate is the engine's footprint plus the weights, at the context chosen.
        mc.setContextLength(256);
        const auto model = Model::load(path.toStdString());
        SessionParams sp = session_default_params();
        sp.n_ctx = 256;
        sp.n_threads = 3;
        const SessionFootprint f = session_footprint(model->config(), sp);
        const QVariantMap mem = mc.memory();
        QCOMPARE(mem["kvCache"].toDouble(), static_cast<double>(f.kv_cache_bytes));
        QCOMPARE(mem["scratch"].toDouble(), static_cast<double>(f.scratch_bytes));
        QCOMPARE(mem["weights"].toDouble(), static_cast<double>(model->weight_bytes()));
        QCOMPARE(mem["total"].toDouble(), mem["weights"].toDouble() + mem["kvCache"].toDouble() + mem["scratch"].toDouble());
        QCOMPARE(mem["kvCache"].toDouble(), 2.0 * 5 * 256 * 32 * 4);  // 2 x layers x ctx x kv_dim x F32
        mc.setContextLength(1);
        QCOMPARE(mc.contextLength(), int(ModelController::kMinContext));
        mc.setContextLength(1 << 30);
        QCOMPARE(mc.contextLength(), 2048);

        // Loading, then a new context without reading the file again.
        mc.setContextLength(512);
        QSignalSpy loaded(&mc, &ModelController::modelLoaded);
        mc.load();
        QCOMPARE(mc.state(), ModelController::Loading);
        QVERIFY(loaded.wait(kWaitMs));
        QCOMPARE(mc.state(), ModelController::Loaded);
        const LoadedModelPtr first = mc.loadedModel();
        QCOMPARE(first->n_ctx, int64_t{512});
        QCOMPARE(mc.loadedContext(), 512);
        mc.setContextLength(128);
        mc.load();
        QCOMPARE(loaded.count(), 2);  // at once: no worker needed
        QCOMPARE(mc.loadedModel()->n_ctx, int64_t{128});
        QCOMPARE(mc.loadedModel()->model, first->model);

        QSignalSpy unloaded(&mc, &ModelController::modelUnloaded);
        mc.unload();
        QCOMPARE(unloaded.count(), 1);
        QCOMPARE(mc.state(), ModelController::Ready);
        mc.close();
        QCOMPARE(mc.state(), ModelController::Empty);
        QVERIFY(!mc.hasInfo());
        QCOMPARE(mc.tensors()->rowCount(), 0);
    }

    // ---- the Playground -------------------------------------------------------------

    void generatorNeedsAModel() {
        Generator gen;
        QVERIFY(!gen.start(QStringLiteral("hello")));
        QVERIFY(gen.error().contains(QStringLiteral("No model")));
        QVERIFY(!gen.running());
    }

    void generatorStreamsWhatTheEngineGenerates() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path, 512));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QCOMPARE(gen.modelName(), QStringLiteral("stories260K.gguf"));
        QCOMPARE(gen.contextLength(), 512);
        QVERIFY(!gen.chatMode());  // prompt mode: the text as it is

        // Every sampler setting the page has, away from its default.
        gen.setTemperature(0.7);
        gen.setTopK(20);
        gen.setTopP(0.9);
        gen.setMinP(0.02);
        gen.setRepeatPenalty(1.1);
        gen.setRepeatLastN(32);
        gen.setRandomSeed(false);
        gen.setSeed(1234);
        gen.setNPredict(120);

        QSignalSpy finished(&gen, &Generator::finished);
        QSignalSpy text_changes(&gen, &Generator::textChanged);
        const QString prompt = QStringLiteral("Lily and Ben went to the park");
        QVERIFY(gen.start(prompt));
        QVERIFY(gen.running());
        QVERIFY(!gen.start(prompt));  // one at a time
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY(!gen.running());
        QCOMPARE(gen.stopReason(), QStringLiteral("length"));
        QCOMPARE(gen.generatedTokens(), 120);
        QCOMPARE(gen.lastSeed(), qint64{1234});
        QVERIFY(gen.promptTokens() > 5);
        QVERIFY(gen.ttftMs() > 0);
        QVERIFY(gen.tokensPerSecond() > 0);
        QVERIFY(gen.promptTokensPerSecond() > 0);
        QVERIFY(text_changes.count() >= 2);  // the prompt echo, then text
        QVERIFY(gen.rateHistory().size() >= 10);
        QCOMPARE(gen.promptText(), prompt);

        SamplerParams sp = sampler_default_params();
        sp.temperature = 0.7f;
        sp.top_k = 20;
        sp.top_p = 0.9f;
        sp.min_p = 0.02f;
        sp.repeat_penalty = 1.1f;
        sp.repeat_last_n = 32;
        sp.seed = 1234;
        QCOMPARE(gen.text(), engine_text(path, prompt, sp, 120, 512));

        // The same seed again: the same text.
        const QString first = gen.text();
        QVERIFY(gen.start(prompt));
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(gen.text(), first);
        QCOMPARE(gen.runs(), 2);
    }

    void generatorStopsOnCancel() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        Generator gen;
        gen.setModel(mc.loadedModel());
        gen.setNPredict(Generator::kMaxPredict);
        gen.setTemperature(1.0);
        QSignalSpy finished(&gen, &Generator::finished);
        QVERIFY(gen.start(QStringLiteral("Once upon a time")));
        QTRY_VERIFY_WITH_TIMEOUT(gen.generatedTokens() > 0, kWaitMs);
        gen.cancel();
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(gen.stopReason(), QStringLiteral("stopped"));
        QVERIFY(gen.generatedTokens() < 2000);
    }

    void generatorReportsAPromptTooLongForTheContext() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QSignalSpy opened(&mc, &ModelController::opened);
        mc.open(path);
        QVERIFY(opened.wait(kWaitMs));
        mc.setContextLength(16);
        QSignalSpy loaded(&mc, &ModelController::modelLoaded);
        mc.load();
        QVERIFY(loaded.wait(kWaitMs));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QSignalSpy failed(&gen, &Generator::failed);
        QVERIFY(gen.start(QStringLiteral("one two three four five six seven eight nine ten eleven twelve thirteen")));
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(gen.error().contains(QStringLiteral("context")), qPrintable(gen.error()));
        QVERIFY(!gen.running());
        QCOMPARE(gen.stopReason(), QStringLiteral("error"));
    }

    // ---- demo models ----------------------------------------------------------------

    void demoModelIsWrittenAndSized() {
        QTemporaryDir dir;
        DemoModelController demo(dir.path());
        QVERIFY(demo.presets().size() >= 5);
        QVERIFY(demo.types().contains(QStringLiteral("Q4_K_M")));
        demo.setPreset(QStringLiteral("tiny"));
        demo.setType(QStringLiteral("Q4_0"));
        QCOMPARE(demo.outputPath(), dir.filePath(QStringLiteral("tiny-q4_0.gguf")));
        QTRY_VERIFY_WITH_TIMEOUT(demo.plannedBytes() > 0, kWaitMs);
        QSignalSpy created(&demo, &DemoModelController::created);
        demo.create();
        QVERIFY(created.wait(kWaitMs));
        QCOMPARE(created.first().first().toString(), demo.outputPath());
        QCOMPARE(static_cast<double>(QFileInfo(demo.outputPath()).size()), demo.plannedBytes());
        const ModelInfo info = inspect_model(demo.outputPath().toStdString());
        QCOMPARE(info.config.n_layer, int64_t{2});

        demo.setPreset(QStringLiteral("no-such-preset"));
        QTRY_VERIFY_WITH_TIMEOUT(demo.error().contains(QStringLiteral("no-such-preset")), kWaitMs);
    }

    void demoModelCancelLeavesNoFile() {
        QTemporaryDir dir;
        DemoModelController demo(dir.path());
        demo.setPreset(QStringLiteral("smollm2-135m"));  // ~140 MB: several chunks
        demo.setType(QStringLiteral("Q8_0"));
        QSignalSpy progress(&demo, &DemoModelController::progressChanged);
        demo.create();
        QTRY_VERIFY_WITH_TIMEOUT(demo.progress() > 0, kWaitMs);
        demo.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!demo.running(), kWaitMs);
        QCOMPARE(demo.stage(), QStringLiteral("Cancelled"));
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());  // neither the file nor its temporary
    }

    // ---- kiosk ----------------------------------------------------------------------

    void kioskCyclesThroughPrompts() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        Workbench wb(tmp_.filePath(QStringLiteral("kiosk.ini")), tmp_.filePath(QStringLiteral("demo")));
        wb.generator()->setNPredict(16);
        KioskController* kiosk = wb.kiosk();
        kiosk->setPauseMs(0);
        kiosk->setPrompts({QStringLiteral("One day"), QStringLiteral("The cat")});
        kiosk->start(path);
        QTRY_VERIFY_WITH_TIMEOUT(kiosk->cycles() >= 3, kWaitMs);
        QCOMPARE(kiosk->errors(), 0);
        QVERIFY(wb.model()->loaded());
        kiosk->stop();
        QCOMPARE(kiosk->state(), KioskController::Idle);
    }

    void kioskMovesOnAfterAFailedGeneration() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        Workbench wb(tmp_.filePath(QStringLiteral("kiosk2.ini")), tmp_.filePath(QStringLiteral("demo")));
        wb.generator()->setNPredict(8);
        // A context too short for the first prompt: it fails, the second works.
        QObject::connect(wb.model(), &ModelController::opened, wb.model(), [&] { wb.model()->setContextLength(16); });
        KioskController* kiosk = wb.kiosk();
        kiosk->setPauseMs(0);
        kiosk->setRetryMs(10);
        kiosk->setPrompts({QStringLiteral("a b c d e f g h i j k l m n o p q r s t u v w x y z"), QStringLiteral("Hi")});
        QSignalSpy states(kiosk, &KioskController::stateChanged);
        kiosk->start(path);
        QTRY_VERIFY_WITH_TIMEOUT(kiosk->cycles() >= 2 && kiosk->errors() >= 2, kWaitMs);
        kiosk->stop();
    }

    void kioskCyclesCompressionPresets() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        Workbench wb(tmp_.filePath(QStringLiteral("kiosk4.ini")), tmp_.filePath(QStringLiteral("demo")));
        wb.generator()->setNPredict(24);
        KioskController* kiosk = wb.kiosk();
        QCOMPARE(kiosk->presets(), KioskController::defaultPresets());
        kiosk->setPauseMs(0);
        kiosk->setRetryMs(10);
        // A preset that does not exist is an error the loop recovers from.
        kiosk->setPresets({QStringLiteral("base"), QStringLiteral("q8_0"), QStringLiteral("bogus"), QStringLiteral("q4_0")});
        QSignalSpy applied(wb.compressor(), &CompressController::applied);
        QStringList models_run;
        connect(wb.generator(), &Generator::started, this, [&] { models_run << wb.generator()->modelName(); });
        kiosk->start(path);
        // Two rounds of the four presets: three generations and an error each.
        QTRY_VERIFY_WITH_TIMEOUT(kiosk->cycles() >= 6 && kiosk->errors() >= 2, kWaitMs);
        kiosk->stop();
        // (the loop may have gone on a little before stop(): counts are lower bounds)
        QCOMPARE(applied.count(), 2);  // each preset compressed once, then kept
        QCOMPARE(models_run.mid(0, 3), (QStringList{QStringLiteral("stories260K.gguf"), QStringLiteral("stories260K.gguf (q8_0)"),
                                                    QStringLiteral("stories260K.gguf (q4_0)")}));

        // One point per preset that ran: sizes fall with the type, speeds measured,
        // and the smallest is on the front whatever its speed.
        const auto& pts = kiosk->points();
        QCOMPARE(kiosk->pointCount(), 3);
        QCOMPARE(pts[0].label, QStringLiteral("base"));
        QCOMPARE(pts[1].label, QStringLiteral("q8_0"));
        QCOMPARE(pts[2].label, QStringLiteral("q4_0"));
        QCOMPARE(pts[0].size_bytes, static_cast<double>(wb.model()->weightBytes()));
        QVERIFY(pts[0].size_bytes > pts[1].size_bytes && pts[1].size_bytes > pts[2].size_bytes);
        for (const ModelPoint& p : pts) {
            QVERIFY(p.tokens_per_s > 0);
            QVERIFY(p.runs >= 2);
        }
        QVERIFY(pts[2].front);
        std::vector<ParetoPoint> pp;
        for (const ModelPoint& p : pts) pp.push_back({p.size_bytes, p.tokens_per_s});
        const auto front = pareto_front(pp);
        for (size_t i = 0; i < pts.size(); ++i) QCOMPARE(pts[i].front, static_cast<bool>(front[i]));
    }

    void kioskRetriesAModelThatWillNotLoad() {
        Workbench wb(tmp_.filePath(QStringLiteral("kiosk3.ini")), tmp_.filePath(QStringLiteral("demo")));
        KioskController* kiosk = wb.kiosk();
        kiosk->setRetryMs(10);
        const QString missing = tmp_.filePath(QStringLiteral("missing.gguf"));
        kiosk->start(missing);
        QTRY_VERIFY_WITH_TIMEOUT(kiosk->state() == KioskController::Recovering, kWaitMs);
        QVERIFY2(kiosk->message().contains(missing), qPrintable(kiosk->message()));
        QTRY_VERIFY_WITH_TIMEOUT(kiosk->errors() >= 2, kWaitMs);  // it tried again by itself
        kiosk->stop();
    }

    // ---- wiring ---------------------------------------------------------------------

    void workbenchHandsTheLoadedModelToTheGenerator() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        const QString ini = tmp_.filePath(QStringLiteral("wb.ini"));
        Workbench wb(ini, tmp_.filePath(QStringLiteral("demo")));
        QCOMPARE(wb.page(), QStringLiteral("model"));
        wb.setPage(QStringLiteral("nowhere"));
        QCOMPARE(wb.page(), QStringLiteral("model"));
        QCOMPARE(wb.pages().size(), Workbench::pageIds().size());
        wb.setThreads(2);
        QCOMPARE(wb.generator()->threads(), 2);
        QCOMPARE(wb.model()->threads(), 2);
        QCOMPARE(wb.effectiveThreads(), 2);

        QVERIFY(open_and_load(*wb.model(), path));
        QVERIFY(wb.generator()->hasModel());
        QCOMPARE(wb.recent()->paths().first(), QDir::cleanPath(QFileInfo(path).absoluteFilePath()));
        wb.model()->unload();
        QVERIFY(!wb.generator()->hasModel());
        QSettings settings(ini, QSettings::IniFormat);
        QCOMPARE(settings.value(RecentModels::kKey).toStringList().first(), QDir::cleanPath(QFileInfo(path).absoluteFilePath()));
    }

private:
    QTemporaryDir tmp_;
};

QTEST_GUILESS_MAIN(TestGuiBridge)
#include "test_gui_bridge.moc"
