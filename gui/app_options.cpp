#include "gui/app_options.h"

#include "gui/prompt_format.h"

#include <QCommandLineParser>

#include "gui/workbench.h"

namespace pareto::gui {
namespace {

// An integer option within [lo, hi]; "" when fine.
QString read_int(const QCommandLineParser& p, const QString& name, qint64 lo, qint64 hi, qint64& out) {
    bool ok = false;
    const qint64 v = p.value(name).toLongLong(&ok);
    if (!ok || v < lo || v > hi)
        return QStringLiteral("--%1: expected a whole number from %2 to %3, got '%4'").arg(name).arg(lo).arg(hi).arg(p.value(name));
    out = v;
    return {};
}

}  // namespace

QString parse_app_options(const QStringList& args, AppOptions& out, QString* help_text) {
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral(
        "Pareto: a workbench for compressing and profiling small language models on the device they run on."));
    const QString pages = Workbench::pageIds().join(QStringLiteral(", "));
    p.addOptions({
        {{"m", "model"}, "Open and load a GGUF model.", "FILE"},
        {"page", "Start on this page: " + pages + ".", "NAME"},
        {"screenshot", "Render the page offscreen once its work is done, write a PNG and exit.", "OUT.png"},
        {{"p", "prompt"}, "Playground prompt (generated from at start, to the end with --screenshot); on the Profile page, the prompt profiled.", "TEXT"},
        {"trace", "Open this HDF5 trace on the Runs page (repeatable); on the Profile page, the trace profiles are appended to (or, without a model, whose last run is shown).", "FILE.h5"},
        {"preset", "Compress page: start the grid from this preset (q8_0, q4_0, q4_k_m, ...).", "NAME"},
        {"calibration", "Compress page: the calibration and evaluation text; with --screenshot, the sensitivity scan and Apply run before the capture.", "FILE.txt"},
        {"chat", "Playground in chat mode: --prompt is the first message, rendered with the model's chat template."},
        {"chat-template", "Chat with this template family (deepseek-r1, chatml, qwen2.5, llama2, llama3) instead of the model's own.", "NAME"},
        {"compare", "Playground side by side: the prompt on the loaded model and on it compressed with --preset (in memory)."},
        {{"n", "n-predict"}, "Tokens to generate.", "N"},
        {"seed", "Sampling seed (default: a new one each run).", "S"},
        {"temp", "Sampling temperature (0: greedy).", "T"},
        {{"t", "threads"}, "Threads for inference (0: all cores).", "N", "0"},
        {{"c", "ctx"}, "Context length (0: the model's, at most 4096).", "N", "0"},
        {"size", "Window size for screenshots and the first window.", "WxH", "1440x900"},
        {"kiosk", "Kiosk mode: full screen, an unattended demo loop."},
        {"windowed", "Kiosk mode in a window."},
        {"kiosk-cycles", "With --kiosk --screenshot: capture after this many generations.", "N", "1"},
        {"kiosk-pause", "Kiosk: milliseconds a result stays on screen.", "MS"},
        {"settings", "Read and write settings in this INI file instead of the user's.", "FILE"},
        {"expect", "Screenshot mode: fail unless these objectNames are visible (comma-separated).", "NAMES"},
        {"timeout", "Screenshot mode: give up after this many seconds.", "S", "120"},
    });
    const QCommandLineOption help = p.addHelpOption();
    const QCommandLineOption version = p.addVersionOption();
    if (!p.parse(args)) return p.errorText();
    if (help_text) *help_text = p.helpText();
    out.help = p.isSet(help);
    out.version = p.isSet(version);
    if (!p.positionalArguments().isEmpty())
        return QStringLiteral("unexpected argument '%1' (give a model with --model)").arg(p.positionalArguments().first());

    out.model = p.value("model");
    out.page = p.value("page").toLower();
    if (!out.page.isEmpty() && !Workbench::pageIds().contains(out.page))
        return QStringLiteral("--page: unknown page '%1' (pages: %2)").arg(p.value("page"), pages);
    out.screenshot = p.value("screenshot");
    out.prompt = p.value("prompt");
    out.traces = p.values("trace");
    out.preset = p.value("preset");
    out.calibration = p.value("calibration");
    out.chat_template = p.value("chat-template").toLower();
    out.chat = p.isSet("chat") || !out.chat_template.isEmpty();
    if (!out.chat_template.isEmpty()) {
        QStringList known;
        for (const ChatTemplateChoice& c : chat_template_choices(nullptr))
            if (!c.name.isEmpty()) known << c.name;
        if (!known.contains(out.chat_template))
            return QStringLiteral("--chat-template: unknown template '%1' (templates: %2)")
                .arg(p.value("chat-template"), known.join(QStringLiteral(", ")));
    }
    out.compare = p.isSet("compare");
    if (out.chat && out.compare) return QStringLiteral("--compare runs in prompt mode: it cannot be combined with --chat");
    qint64 v = 0;
    if (p.isSet("n-predict")) {
        if (auto e = read_int(p, "n-predict", 1, 65536, v); !e.isEmpty()) return e;
        out.n_predict = static_cast<int>(v);
    }
    if (p.isSet("seed")) {
        if (auto e = read_int(p, "seed", 0, 2147483647, v); !e.isEmpty()) return e;
        out.seed = v;
    }
    if (p.isSet("temp")) {
        bool ok = false;
        const double t = p.value("temp").toDouble(&ok);
        if (!ok || t < 0 || t > 5) return QStringLiteral("--temp: expected a number from 0 to 5, got '%1'").arg(p.value("temp"));
        out.temperature = t;
    }
    if (auto e = read_int(p, "threads", 0, 1024, v); !e.isEmpty()) return e;
    out.threads = static_cast<int>(v);
    if (auto e = read_int(p, "ctx", 0, 1 << 20, v); !e.isEmpty()) return e;
    out.ctx = static_cast<int>(v);
    const QStringList wh = p.value("size").toLower().split('x');
    bool okw = false, okh = false;
    if (wh.size() == 2) out.size = QSize(wh[0].toInt(&okw), wh[1].toInt(&okh));
    if (!okw || !okh || out.size.width() < 320 || out.size.height() < 240 || out.size.width() > 8192 ||
        out.size.height() > 8192)
        return QStringLiteral("--size: expected WIDTHxHEIGHT between 320x240 and 8192x8192, got '%1'").arg(p.value("size"));
    out.kiosk = p.isSet("kiosk");
    out.windowed = p.isSet("windowed");
    if (auto e = read_int(p, "kiosk-cycles", 1, 1000, v); !e.isEmpty()) return e;
    out.kiosk_cycles = static_cast<int>(v);
    if (p.isSet("kiosk-pause")) {
        if (auto e = read_int(p, "kiosk-pause", 0, 600000, v); !e.isEmpty()) return e;
        out.kiosk_pause_ms = static_cast<int>(v);
    }
    out.settings = p.value("settings");
    for (const QString& name : p.value("expect").split(',', Qt::SkipEmptyParts)) out.expect << name.trimmed();
    if (auto e = read_int(p, "timeout", 1, 3600, v); !e.isEmpty()) return e;
    out.timeout_s = static_cast<int>(v);
    if (out.kiosk && !out.page.isEmpty()) return QStringLiteral("--page cannot be combined with --kiosk");
    if (!out.expect.isEmpty() && out.screenshot.isEmpty()) return QStringLiteral("--expect needs --screenshot");
    return {};
}

}  // namespace pareto::gui
