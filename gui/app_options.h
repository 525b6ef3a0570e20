#pragma once
// The `pareto` command line:
//   pareto [--model M] [--page NAME] [--threads N] [--ctx N]          the workbench
//   pareto --kiosk [--model M]                                        full-screen demo loop
//   pareto --model M --page NAME --screenshot OUT.png [--prompt TEXT]  headless capture
#include <QSize>
#include <QString>
#include <QStringList>

#include <optional>

namespace pareto::gui {

struct AppOptions {
    QString model;               // a GGUF file to open and load
    QString page;                // a page id (Workbench::pageIds()); "" : the default
    QString screenshot;          // write this PNG once the page's work is done, then exit
    QString prompt;              // Playground: generate from this; Profile: profile it (to the end, with --screenshot)
    QStringList traces;          // HDF5 traces to open on the Runs page (Profile: the first is appended to)
    QString preset;              // Compress: the grid's preset
    QString calibration;         // Compress: the calibration / evaluation text (with --screenshot: scan, then Apply)
    bool chat = false;           // Playground in chat mode (--prompt: the first message)
    QString chat_template;       // chat with this template family ("" : the model's own); implies chat
    bool compare = false;        // Playground side by side with the Compress page's result (made from --preset)
    std::optional<int> n_predict;
    std::optional<qint64> seed;
    std::optional<double> temperature;
    int threads = 0;             // 0: one per hardware thread
    int ctx = 0;                 // context length for the session; 0: the model's default
    QSize size{1440, 900};       // window size (screenshots, and the first window)
    bool kiosk = false;
    bool windowed = false;       // kiosk in a window instead of full screen
    int kiosk_cycles = 0;        // with --screenshot: capture after this many generations (default 1)
    int kiosk_pause_ms = -1;     // how long a kiosk result stays up (-1: the default)
    QString settings;            // an INI file instead of the user's settings (tests, screenshots)
    QStringList expect;          // object names that must be visible in the screenshot
    int timeout_s = 120;         // screenshot mode gives up after this long
    bool help = false, version = false;
};

// Parses `args` (args[0] is the program). Returns "" or a message naming the bad
// option; `help_text` receives the usage for --help.
QString parse_app_options(const QStringList& args, AppOptions& out, QString* help_text = nullptr);

}  // namespace pareto::gui
