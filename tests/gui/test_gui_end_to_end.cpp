// The `pareto` executable end to end, offscreen: it opens stories260K, runs a
// prompt in the Playground, screenshots every page (and the first-run screen and
// the kiosk), and each PNG is checked to be a real picture holding the expected
// items. The Playground's text must be pareto-cli's, token for token.
#include <QFileInfo>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

#include "gui_test_support.h"

namespace {

struct Run {
    int status = -1;
    QByteArray out, err;
    QJsonObject report;  // the screenshot mode's JSON line
};

Run run(const QString& program, const QStringList& args, int timeout_ms = 60000) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out: " + program.toUtf8() + ' ' + args.join(' ').toUtf8();
        return r;
    }
    r.status = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    if (!lines.isEmpty()) r.report = QJsonDocument::fromJson(lines.last()).object();
    return r;
}

// A screenshot is a picture when its pixels vary: not blank, not one flat colour.
struct Picture {
    QSize size;
    double stddev = 0;   // of luminance
    int colours = 0;     // distinct colours (capped)
};
Picture measure(const QString& path) {
    const QImage image = QImage(path).convertToFormat(QImage::Format_RGB32);
    Picture p;
    p.size = image.size();
    if (image.isNull()) return p;
    double sum = 0, sum2 = 0;
    QSet<QRgb> colours;
    const qint64 n = qint64(image.width()) * image.height();
    for (int y = 0; y < image.height(); ++y) {
        const auto* row = reinterpret_cast<const QRgb*>(image.constScanLine(y));
        for (int x = 0; x < image.width(); ++x) {
            const double l = 0.2126 * qRed(row[x]) + 0.7152 * qGreen(row[x]) + 0.0722 * qBlue(row[x]);
            sum += l;
            sum2 += l * l;
            if (colours.size() < 5000) colours.insert(row[x]);
        }
    }
    const double mean = sum / double(n);
    p.stddev = std::sqrt(std::max(0.0, sum2 / double(n) - mean * mean));
    p.colours = int(colours.size());
    return p;
}

}  // namespace

class TestGuiEndToEnd : public QObject {
    Q_OBJECT

    const QString pareto_ = QStringLiteral(PARETO_EXE);
    const QString cli_ = QStringLiteral(PARETO_CLI_EXE);
    const QString shots_ = QStringLiteral(PARETO_SCREENSHOT_DIR);  // kept for people to look at

    void checkPicture(const QString& path) {
        const Picture p = measure(path);
        QCOMPARE(p.size, QSize(1440, 900));
        QVERIFY2(p.stddev > 10, qPrintable(QStringLiteral("%1 looks blank (luminance stddev %2)").arg(path).arg(p.stddev)));
        QVERIFY2(p.colours > 100, qPrintable(QStringLiteral("%1 has only %2 colours").arg(path).arg(p.colours)));
    }

    Run screenshot(const QString& name, QStringList args) {
        const QString out = shots_ + '/' + name + QStringLiteral(".png");
        QFile::remove(out);
        args << QStringLiteral("--screenshot") << out << QStringLiteral("--size") << QStringLiteral("1440x900");
        return run(pareto_, args);
    }

private slots:
    void initTestCase() { QVERIFY(QDir().mkpath(shots_)); }

    void everyPage_data() {
        QTest::addColumn<QString>("page");
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("expect");
        QTest::newRow("model") << "model" << QStringList{}
                               << "modelDetails,modelName,architectureCard,memoryCard,weightTypesCard,tensorTree,"
                                  "layerBytesChart,loadedChip,sidebar,statusBar,statusSimd";
        QTest::newRow("playground") << "playground"
                                    << QStringList{"--prompt", "Once upon a time", "-n", "96", "--seed", "11"}
                                    << "playgroundPage,generatedText,ttftTile,tpsTile,samplerPanel,temperatureSlider,"
                                       "promptInput,generateButton,playgroundModel";
        QTest::newRow("compress") << "compress" << QStringList{} << "compressPage,compressGrid,presetBox,sizeEstimate,pruneCard,calibrationCard,applyButton";
        QTest::newRow("profile") << "profile" << QStringList{"--prompt", "Once upon a time", "-n", "48"}
                                 << "profilePage,profileRunChip,latencyTiles,ttftTile,decodeTile,timeline,flame,"
                                    "kindBars,layerBars,profileButton";
        QTest::newRow("runs") << "runs" << QStringList{} << "runsPage,emptyTitle,openTracesButton";
    }
    // The Compress page with a preset and a text: the sensitivity scan, then Apply,
    // then the capture with the heat map and the result.
    void compressScanAndApply() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        PARETO_QREQUIRE_DATA(text, "data/tinystories/tinystories_validation_head.txt");
        const Run r = screenshot(QStringLiteral("compress-applied"),
                                 {"--model", model, "--page", "compress", "--preset", "q4_0", "--calibration", text,
                                  "--expect", "compressGrid,scanButton,resultCard,resultKl,exportButton"});
        QVERIFY2(r.status == 0, r.err.constData());
        QVERIFY(r.report["max_sensitivity"].toDouble() > 0);
        QVERIFY(r.report["result_bytes"].toDouble() < 0.3 * QFileInfo(model).size());
        QCOMPARE(r.report["result_bytes"].toDouble(), r.report["estimated_bytes"].toDouble());
        QVERIFY(r.report["kl"].toDouble() > 0 && r.report["kl"].toDouble() < 0.5);
        checkPicture(r.report["screenshot"].toString());
        const Run bad = screenshot(QStringLiteral("compress-bad"), {"--model", model, "--page", "compress", "--preset", "q9"});
        QVERIFY(bad.status != 0);
        QVERIFY2(bad.err.contains("unknown preset 'q9'"), bad.err.constData());
    }

    void everyPage() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        QFETCH(QString, page);
        QFETCH(QStringList, extra);
        QFETCH(QString, expect);
        const Run r = screenshot(page, QStringList{"--model", model, "--page", page, "--expect", expect} + extra);
        QVERIFY2(r.status == 0, r.err.constData());
        QCOMPARE(r.report["page"].toString(), page);
        QCOMPARE(r.report["model_state"].toString(), QStringLiteral("Loaded"));
        checkPicture(r.report["screenshot"].toString());
        if (page == QLatin1String("profile")) {
            // The prompt, then up to 48 decode steps (fewer if the story ends), each
            // Per step: embed, 5 layers x 9 ops, output_norm, lm_head, sampling.
            const int steps = r.report["steps"].toInt();
            QVERIFY2(steps >= 2 && steps <= 49, r.out.constData());
            QVERIFY2(r.report["ops"].toInt() >= steps * 49, r.out.constData());
            QCOMPARE(r.report["trace"].toString(), QString());            // screenshots store nothing unasked
        }
        if (page == QLatin1String("playground")) {
            QCOMPARE(r.report["generated_tokens"].toInt(), 96);
            QVERIFY(!r.report["generated_text"].toString().isEmpty());
        }
    }

    // Two profiles appended to one trace, then the trace on the Runs page: the table,
    // the comparison of the two, the trade-off charts; and the last run of the trace
    // on the Profile page without a model.
    void profilesGoToATraceThatRunsShows() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        const QString trace = shots_ + QStringLiteral("/profiles.h5");
        QFile::remove(trace);
        int last_steps = 0;
        for (const char* n : {"32", "64"}) {
            const Run r = screenshot(QStringLiteral("profile-%1").arg(n),
                                     {"--model", model, "--page", "profile", "--prompt", "Once upon a time", "-n", n,
                                      "--threads", "1", "--trace", trace, "--expect", "timeline,flame,kindBars"});
            QVERIFY2(r.status == 0, r.err.constData());
            QCOMPARE(r.report["trace"].toString(), trace);
            QVERIFY(!r.report["run"].toString().isEmpty());
            last_steps = r.report["steps"].toInt();
        }
        QVERIFY(QFileInfo::exists(trace));
        const Run runs = screenshot(QStringLiteral("runs"),
                                    {"--page", "runs", "--trace", trace, "--expect",
                                     "runsPage,traceChip,runsTable,compareCard,compareByKind,compareByLayer,"
                                     "tradeoffCard,scatterSpeed,scatterPpl"});
        QVERIFY2(runs.status == 0, runs.err.constData());
        QCOMPARE(runs.report["runs"].toInt(), 2);
        QCOMPARE(runs.report["compared"].toBool(), true);
        checkPicture(runs.report["screenshot"].toString());

        const Run opened = screenshot(QStringLiteral("profile-from-trace"),
                                      {"--page", "profile", "--trace", trace, "--expect", "timeline,flame,runMemory"});
        QVERIFY2(opened.status == 0, opened.err.constData());
        QCOMPARE(opened.report["steps"].toInt(), last_steps);  // the trace's last run
    }

    void aBadTraceIsAReadableFailure() {
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("garbage.h5"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not HDF5 at all");
        f.close();
        const Run r = run(pareto_, {"--page", "runs", "--trace", bad, "--screenshot", dir.filePath("x.png")});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("garbage.h5"), r.err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath("x.png")));
    }

    void playgroundTextIsPareToCliText() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        const QStringList sampling{"-n", "64", "--seed", "7", "--temp", "0.9"};
        const Run gui = screenshot(QStringLiteral("playground-vs-cli"),
                                   QStringList{"--model", model, "--page", "playground", "-p", "Lily had a red kite"} + sampling);
        QVERIFY2(gui.status == 0, gui.err.constData());
        const Run cli = run(cli_, QStringList{"run", "-m", model, "-p", "Lily had a red kite"} + sampling);
        QVERIFY2(cli.status == 0, cli.err.constData());
        QString expected = QString::fromUtf8(cli.out);
        QVERIFY(expected.endsWith('\n'));
        expected.chop(1);
        QCOMPARE(gui.report["prompt_text"].toString() + gui.report["generated_text"].toString(), expected);
    }

    void firstRunScreen() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        QTemporaryDir dir;
        const QString ini = dir.filePath(QStringLiteral("settings.ini"));
        {
            QSettings s(ini, QSettings::IniFormat);
            s.setValue(QStringLiteral("recentModels"), QStringList{QFileInfo(model).absoluteFilePath(), "/gone/model.gguf"});
        }
        const Run r = screenshot(QStringLiteral("first-run"),
                                 {"--settings", ini, "--expect",
                                  "firstRun,welcomeTitle,openModelCard,openFileButton,demoModelCard,demoPreset,"
                                  "createDemoButton,recentModelsCard,recentList,sidebar,statusBar"});
        QVERIFY2(r.status == 0, r.err.constData());
        QCOMPARE(r.report["model_state"].toString(), QStringLiteral("Empty"));
        checkPicture(r.report["screenshot"].toString());
    }

    void kiosk() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        const Run r = screenshot(QStringLiteral("kiosk"), {"--kiosk", "--model", model, "--kiosk-cycles", "2", "--kiosk-pause",
                                                          "0", "-n", "64", "--expect",
                                                          "kioskView,kioskText,kioskTps,kioskMemory,kioskModel,kioskPause,kioskNext,"
                                                          "kioskPresets,kioskCurrentPreset,kioskChart,kioskWeights"});
        QVERIFY2(r.status == 0, r.err.constData());
        QCOMPARE(r.report["page"].toString(), QStringLiteral("kiosk"));
        QVERIFY(r.report["generated_tokens"].toInt() > 0);
        checkPicture(r.report["screenshot"].toString());
    }

    // Chat through a named template: DeepSeek-R1's generation prompt opens <think>, so
    // this story model's whole reply is reasoning, shown in its block.
    void chatWithReasoning() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        const Run r = screenshot(QStringLiteral("chat-reasoning"),
                                 {"--model", model, "--page", "playground", "--chat-template", "deepseek-r1", "--prompt",
                                  "Tell me a story about a cat.", "-n", "80", "--seed", "3", "--expect",
                                  "chatPane,chatList,userBubble,assistantBubble,reasoningBlock,reasoningText,chatTemplate,"
                                  "chatModeButton"});
        QVERIFY2(r.status == 0, r.err.constData());
        QVERIFY(r.report["chat_template"].toString().startsWith(QStringLiteral("deepseek-r1")));
        QCOMPARE(r.report["turns"].toInt(), 2);
        QVERIFY(r.report["prompt_text"].toString().endsWith(QStringLiteral("<｜Assistant｜><think>\n")));
        QVERIFY(!r.report["reasoning"].toString().isEmpty());
        QCOMPARE(r.report["reasoning"].toString(), r.report["generated_text"].toString().trimmed());
        checkPicture(r.report["screenshot"].toString());

        // A model without a chat template says so and stays in prompt mode.
        const Run plain = screenshot(QStringLiteral("chat-none"), {"--model", model, "--page", "playground", "--chat", "--prompt",
                                                                  "Once upon a time", "-n", "16", "--expect", "generatedText"});
        QVERIFY2(plain.status == 0, plain.err.constData());
        QVERIFY2(plain.err.contains("stories260K.gguf has no chat template"), plain.err.constData());
        QVERIFY(!plain.report.contains(QStringLiteral("turns")));
    }

    // Side by side: the model and its q8_0 compression on one prompt and seed.
    void sideBySide() {
        PARETO_QREQUIRE_DATA(model, "models/stories260K.gguf");
        const Run r = screenshot(QStringLiteral("side-by-side"),
                                 {"--model", model, "--page", "playground", "--compare", "--preset", "q8_0", "--prompt",
                                  "Once upon a time", "-n", "64", "--seed", "5", "--expect",
                                  "generationPane,compressedPane,paneTitle,compareSwitch,sequentialCheck"});
        QVERIFY2(r.status == 0, r.err.constData());
        QCOMPARE(r.report["compressed_model"].toString(), QStringLiteral("stories260K.gguf (q8_0)"));
        QCOMPARE(r.report["generated_tokens"].toInt(), 64);
        QCOMPARE(r.report["compressed_tokens"].toInt(), 64);
        QVERIFY(!r.report["compressed_text"].toString().isEmpty());
        checkPicture(r.report["screenshot"].toString());

        // Without a compressed model the second pane says how to make one.
        const Run none = screenshot(QStringLiteral("side-by-side-none"),
                                    {"--model", model, "--page", "playground", "--compare", "--prompt", "Once upon a time",
                                     "-n", "16", "--expect", "generationPane,noCompressedModel"});
        QVERIFY2(none.status == 0, none.err.constData());
        QCOMPARE(none.report["compressed_tokens"].toInt(), 0);
        const Run bad = run(pareto_, {"--chat", "--compare"});
        QVERIFY(bad.status != 0);
        QVERIFY2(bad.err.contains("--compare runs in prompt mode"), bad.err.constData());
    }

    void aBadModelIsAReadableFailure() {
        QTemporaryDir dir;
        const QString junk = dir.filePath(QStringLiteral("junk.gguf"));
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("GGUF but not really");
        f.close();
        const Run r = run(pareto_, {"--model", junk, "--page", "model", "--screenshot", dir.filePath("x.png")});
        QVERIFY(r.status != 0);
        QVERIFY2(r.err.contains(junk.toUtf8()), r.err.constData());
        QVERIFY(!QFile::exists(dir.filePath("x.png")));
    }

    void aMissingItemFailsTheScreenshot() {
        QTemporaryDir dir;
        const Run r = run(pareto_, {"--page", "runs", "--expect", "runsPage,noSuchItem", "--screenshot", dir.filePath("x.png")});
        QCOMPARE(r.status, 3);
        QVERIFY2(r.err.contains("noSuchItem") && !r.err.contains("runsPage,"), r.err.constData());
    }

    void badOptionsAreRefused() {
        const Run r = run(pareto_, {"--page", "elsewhere"});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("elsewhere"), r.err.constData());
        const Run help = run(pareto_, {"--help"});
        QCOMPARE(help.status, 0);
        QVERIFY(help.out.contains("--screenshot"));
    }
};

QTEST_GUILESS_MAIN(TestGuiEndToEnd)
#include "test_gui_end_to_end.moc"
