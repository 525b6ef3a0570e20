// The Playground's chat mode and side-by-side comparison: the conversation model
// (turns, reasoning split as it streams, under QAbstractItemModelTester), the chat
// template chosen from the model (or by name, or none: prompt mode stays), turns
// rendered and generated as the engine does, and two generators run on one prompt.
#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "format/gguf.h"
#include "format/gguf_writer.h"
#include "gui/chat_model.h"
#include "gui/compress_controller.h"
#include "gui/compress_grid_model.h"
#include "gui/generator.h"
#include "gui/model_controller.h"
#include "gui/prompt_format.h"
#include "gui/side_by_side.h"
#include "gui_test_support.h"
#include "model/generate.h"
#include "model/model.h"
#include "model/session.h"
#include "tokenizer/chat_template.h"

using namespace pareto;
using namespace pareto::gui;

namespace {

constexpr int kWaitMs = 60000;

bool open_and_load(ModelController& mc, const QString& path, int n_ctx = 512) {
    QSignalSpy opened(&mc, &ModelController::opened);
    mc.open(path);
    if (!opened.wait(kWaitMs)) return false;
    mc.setContextLength(n_ctx);
    QSignalSpy loaded(&mc, &ModelController::modelLoaded);
    mc.load();
    return loaded.wait(kWaitMs) || loaded.count() > 0;
}

// A copy of the GGUF file `src` whose metadata carries `jinja` as its chat template.
QString with_chat_template(const QTemporaryDir& dir, const QString& src, const QString& jinja_path) {
    QFile f(jinja_path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const GgufFile in = GgufFile::open(src.toStdString());
    GgufWriter w;
    w.copy_metadata(in);
    w.set("tokenizer.chat_template", GgufValue::make_string(f.readAll().toStdString()));
    for (const GgufTensor& t : in.tensors()) w.add_tensor_view(t);
    const QString out = dir.filePath(QFileInfo(src).completeBaseName() + QStringLiteral("-chat.gguf"));
    w.write(out.toStdString());
    return out;
}

QString model_index_text(const ChatModel& m, int row, int role) { return m.index(row).data(role).toString(); }

// What the engine replies to `messages` with `tpl`, greedy, decoded as the chat shows it.
QString engine_reply(const QString& model_path, const ChatTemplate& tpl, const std::vector<ChatMessage>& messages,
                     int n_predict) {
    const auto model = Model::load(model_path.toStdString());
    SessionParams sp = session_default_params();
    sp.n_ctx = 512;
    Session session(*model, sp);
    const Tokenizer& tok = model->tokenizer();
    const auto tokens = encode_chat_prompt(tok, tpl.apply(messages, true));
    GenerateParams gp = generate_default_params();
    gp.n_predict = n_predict;
    gp.sampler.temperature = 0;
    std::string out;
    generate(session, tokens, gp, [&](TokenId id) {
        if (!tok.is_end_of_generation(id)) out += tok.token_to_piece(id);
        return true;
    });
    return QString::fromStdString(out);
}

}  // namespace

class TestGuiChat : public QObject {
    Q_OBJECT

private slots:
    // ---- the conversation model ---------------------------------------------------

    void reasoningIsSplitAsItStreams() {
        ChatModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.addUser(QStringLiteral("What is 2 + 2?"));
        m.beginAssistant(/*opens_reasoning=*/false);
        QCOMPARE(m.count(), 2);
        QCOMPARE(m.index(0).data(ChatModel::RoleRole).toString(), QStringLiteral("user"));
        QCOMPARE(m.index(1).data(ChatModel::RoleRole).toString(), QStringLiteral("assistant"));
        QVERIFY(m.index(1).data(ChatModel::StreamingRole).toBool());

        // Tags split across pieces never show; the block is active while it streams.
        QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
        m.appendAssistant("<th");
        QCOMPARE(model_index_text(m, 1, ChatModel::TextRole), QString());
        QVERIFY(!m.index(1).data(ChatModel::ReasoningActiveRole).toBool());
        m.appendAssistant("ink>\nTwo and two");
        QVERIFY(m.index(1).data(ChatModel::ReasoningActiveRole).toBool());
        QCOMPARE(model_index_text(m, 1, ChatModel::ReasoningRole), QStringLiteral("Two and two"));
        QCOMPARE(model_index_text(m, 1, ChatModel::TextRole), QString());
        m.appendAssistant(" make four.</thi");
        QVERIFY(m.index(1).data(ChatModel::ReasoningActiveRole).toBool());
        QCOMPARE(model_index_text(m, 1, ChatModel::ReasoningRole), QStringLiteral("Two and two make four."));
        m.appendAssistant("nk>\n\nThe answer");
        QVERIFY(!m.index(1).data(ChatModel::ReasoningActiveRole).toBool());  // the answer started: collapse
        QCOMPARE(model_index_text(m, 1, ChatModel::TextRole), QStringLiteral("The answer"));
        m.appendAssistant(" is 4.");
        QVERIFY(changed.count() >= 5);
        m.finishAssistant(QStringLiteral("12 tokens"));
        QVERIFY(!m.index(1).data(ChatModel::StreamingRole).toBool());
        QCOMPARE(model_index_text(m, 1, ChatModel::TextRole), QStringLiteral("The answer is 4."));
        QCOMPARE(model_index_text(m, 1, ChatModel::StatsRole), QStringLiteral("12 tokens"));

        // The template gets the reply as the model wrote it (R1's drops the reasoning).
        const auto msgs = m.messages();
        QCOMPARE(msgs.size(), size_t{2});
        QCOMPARE(msgs[1].role, std::string("assistant"));
        QCOMPARE(msgs[1].content, std::string("<think>\nTwo and two make four.</think>\n\nThe answer is 4."));
    }

    void aPromptThatOpensReasoningStartsInIt() {
        ChatModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(ChatModel::promptOpensReasoning("<｜Assistant｜><think>\n"));
        QVERIFY(!ChatModel::promptOpensReasoning("<think>a</think>b<｜Assistant｜>"));
        m.addUser(QStringLiteral("hi"));
        m.beginAssistant(true);
        QVERIFY(m.index(1).data(ChatModel::ReasoningActiveRole).toBool());
        m.appendAssistant("hmm <");  // a possible tag is held back until it is complete
        QCOMPARE(model_index_text(m, 1, ChatModel::ReasoningRole), QStringLiteral("hmm"));
        m.finishAssistant({});       // at the end it is text after all
        QCOMPARE(model_index_text(m, 1, ChatModel::ReasoningRole), QStringLiteral("hmm <"));
        QVERIFY(!m.index(1).data(ChatModel::ReasoningActiveRole).toBool());
        QCOMPARE(model_index_text(m, 1, ChatModel::TextRole), QString());
    }

    void aFailedTurnGoesAndGivesTheMessageBack() {
        ChatModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.addUser(QStringLiteral("first"));
        m.beginAssistant(false);
        m.appendAssistant("ok");
        m.finishAssistant({});
        m.addUser(QStringLiteral("second"));
        m.beginAssistant(false);
        QCOMPARE(m.dropFailedTurn(), QStringLiteral("second"));
        QCOMPARE(m.count(), 2);
        QVERIFY(!m.streaming());
        m.clear();
        QCOMPARE(m.count(), 0);
    }

    // ---- templates from the model ---------------------------------------------------

    void aModelWithoutAKnownTemplateStaysInPromptMode() {
        PARETO_QREQUIRE_DATA(path, "models/tiny-fixtures/tiny-qwen2-f32.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QVERIFY(!gen.chatAvailable());
        QVERIFY2(gen.chatInfo().contains(QStringLiteral("tiny-qwen2-f32.gguf: chat template not recognised")), qPrintable(gen.chatInfo()));
        QCOMPARE(gen.chatTemplates().first(), QStringLiteral("Model's own: not recognised"));
        QSignalSpy chat_changed(&gen, &Generator::chatChanged);
        gen.setChatMode(true);
        QVERIFY(!gen.chatMode());          // prompt mode stays
        QCOMPARE(chat_changed.count(), 1); // and the view is told, to say why

        // A family named by the user: chat is possible; this 64-token vocabulary cannot
        // spell ChatML's tags, which is a message, the turn goes and the text comes back.
        QVERIFY(gen.setChatTemplateName(QStringLiteral("chatml")));
        QVERIFY(gen.chatAvailable());
        gen.setChatMode(true);
        QVERIFY(gen.chatMode());
        QSignalSpy failed(&gen, &Generator::failed);
        QVERIFY(gen.start(QStringLiteral("t5t6")));
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(gen.error().contains(QStringLiteral("cannot tokenize")), qPrintable(gen.error()));
        QCOMPARE(gen.conversation()->count(), 0);
        QCOMPARE(gen.draft(), QStringLiteral("t5t6"));
        QVERIFY(!gen.running());
    }

    void theModelsOwnTemplateRendersEachTurn() {
        PARETO_QREQUIRE_DATA(jinja, "models/templates/Qwen-Qwen2.5-7B-Instruct.jinja");
        QTemporaryDir dir;
        // The synthesized "tiny" model: byte-level BPE, so any text can be spelled.
        const QString path = with_chat_template(dir, test::write_tiny_model(dir, "F32"), jinja);
        QVERIFY(!path.isEmpty());
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QVERIFY(gen.chatAvailable());
        QVERIFY2(gen.chatTemplates().first().startsWith(QStringLiteral("Model's own: qwen2.5")),
                 qPrintable(gen.chatTemplates().first()));
        gen.setChatMode(true);
        QVERIFY(gen.chatMode());
        gen.setTemperature(0);
        gen.setNPredict(12);
        QAbstractItemModelTester tester(gen.conversation(), QAbstractItemModelTester::FailureReportingMode::QtTest);

        const auto model = Model::load(path.toStdString());
        const ChatTemplate tpl = ChatTemplate::for_tokenizer(model->tokenizer());
        std::vector<ChatMessage> messages{{"user", "Hello there"}};
        QSignalSpy finished(&gen, &Generator::finished);
        QVERIFY(gen.start(QStringLiteral("Hello there")));
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(gen.error().isEmpty(), qPrintable(gen.error()));
        // The prompt is the template's rendering, with Qwen's default system prompt.
        QVERIFY(gen.promptText().contains(QStringLiteral("<|im_start|>system\nYou are Qwen")));
        QVERIFY(gen.promptText().endsWith(QStringLiteral("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n")));
        const QString first = engine_reply(path, tpl, messages, 12);
        QCOMPARE(gen.conversation()->count(), 2);
        QCOMPARE(model_index_text(*gen.conversation(), 1, ChatModel::TextRole), first.trimmed());
        QCOMPARE(model_index_text(*gen.conversation(), 1, ChatModel::ReasoningRole), QString());

        // The second turn carries the first reply.
        messages.push_back({"assistant", first.toStdString()});
        messages.push_back({"user", "And then?"});
        QVERIFY(gen.start(QStringLiteral("And then?")));
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(gen.error().isEmpty(), qPrintable(gen.error()));
        QCOMPARE(gen.conversation()->count(), 4);
        QCOMPARE(gen.promptText(), QString::fromStdString(model->tokenizer().decode(
                                       encode_chat_prompt(model->tokenizer(), tpl.apply(messages, true)))));
        QCOMPARE(model_index_text(*gen.conversation(), 3, ChatModel::TextRole),
                 engine_reply(path, tpl, messages, 12).trimmed());

        gen.newChat();
        QCOMPARE(gen.conversation()->count(), 0);
    }

    void reasoningStreamsIntoItsOwnBlock() {
        PARETO_QREQUIRE_DATA(base, "models/stories260K.gguf");
        PARETO_QREQUIRE_DATA(jinja, "models/templates/deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");
        QTemporaryDir dir;
        const QString path = with_chat_template(dir, base, jinja);
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QVERIFY2(gen.chatInfo().startsWith(QStringLiteral("deepseek-r1")), qPrintable(gen.chatInfo()));
        gen.setChatMode(true);
        gen.setNPredict(80);
        gen.setRandomSeed(false);
        gen.setSeed(7);
        ChatModel* conv = gen.conversation();
        QAbstractItemModelTester tester(conv, QAbstractItemModelTester::FailureReportingMode::QtTest);

        // The template's generation prompt opens <think>: everything this story model
        // writes is reasoning, seen as such while it streams.
        int active_updates = 0;
        connect(conv, &QAbstractItemModel::dataChanged, this, [&] {
            const QModelIndex last = conv->index(conv->count() - 1);
            if (last.data(ChatModel::StreamingRole).toBool() && last.data(ChatModel::ReasoningActiveRole).toBool() &&
                !last.data(ChatModel::ReasoningRole).toString().isEmpty())
                ++active_updates;
        });
        QSignalSpy finished(&gen, &Generator::finished);
        QVERIFY(gen.start(QStringLiteral("Tell me a story.")));
        QVERIFY(conv->index(1).data(ChatModel::ReasoningActiveRole).toBool());
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(gen.error().isEmpty(), qPrintable(gen.error()));
        QVERIFY(gen.promptText().endsWith(QStringLiteral("<｜Assistant｜><think>\n")));
        QVERIFY(active_updates >= 1);
        const QModelIndex reply = conv->index(1);
        QVERIFY(!reply.data(ChatModel::ReasoningActiveRole).toBool());
        QCOMPARE(reply.data(ChatModel::ReasoningRole).toString(), gen.text().trimmed());
        QCOMPARE(reply.data(ChatModel::TextRole).toString(), QString());
    }

    // ---- side by side ---------------------------------------------------------------

    void aModelWithoutATemplateSaysSo() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        Generator gen;
        gen.setModel(mc.loadedModel());
        QVERIFY(!gen.chatAvailable());
        QVERIFY2(gen.chatInfo().contains(QStringLiteral("stories260K.gguf has no chat template")), qPrintable(gen.chatInfo()));
        QCOMPARE(gen.chatTemplates().first(), QStringLiteral("Model's own: none"));
        gen.setChatMode(true);
        QVERIFY(!gen.chatMode());
    }

    void sideBySideRunsBothOnOnePrompt() {
        PARETO_QREQUIRE_DATA(path, "models/stories260K.gguf");
        ModelController mc;
        QVERIFY(open_and_load(mc, path));
        CompressController cc;
        cc.setModel(mc.loadedModel());
        QVERIFY(cc.grid()->applyPreset(QStringLiteral("q8_0")));
        QSignalSpy applied(&cc, &CompressController::applied);
        cc.apply();
        QVERIFY(applied.wait(kWaitMs));

        Generator base, compressed;
        SideBySide sbs(&base, &compressed);
        base.setModel(mc.loadedModel());
        QVERIFY(!sbs.available());
        compressed.setModel(cc.result());
        QVERIFY(sbs.available());
        QVERIFY(compressed.modelName().contains(QStringLiteral("q8_0")));
        base.setNPredict(40);
        base.setTemperature(0.8);
        base.setRandomSeed(true);  // one seed is drawn for both

        // One after the other: the compressed model waits for the baseline.
        sbs.setSequential(true);
        QSignalSpy done(&sbs, &SideBySide::finished);
        bool overlapped = false;
        connect(&compressed, &Generator::started, this, [&] { overlapped = overlapped || base.running(); });
        QVERIFY(sbs.start(QStringLiteral("Once upon a time")));
        QVERIFY(sbs.running());
        QVERIFY(!compressed.running());
        QVERIFY(done.wait(kWaitMs));
        QVERIFY(!overlapped);
        QVERIFY(!sbs.running());
        QCOMPARE(compressed.lastSeed(), base.lastSeed());
        QCOMPARE(compressed.nPredict(), 40);
        QCOMPARE(base.generatedTokens(), 40);
        QCOMPARE(compressed.generatedTokens(), 40);
        QVERIFY(compressed.tokensPerSecond() > 0);
        QVERIFY(!compressed.text().isEmpty());

        // Both at once, then Cancel stops both.
        sbs.setSequential(false);
        base.setNPredict(Generator::kMaxPredict);
        QVERIFY(sbs.start(QStringLiteral("Once upon a time")));
        QVERIFY(base.running() && compressed.running());
        sbs.cancel();
        QVERIFY(done.wait(kWaitMs));
        QTRY_VERIFY(!base.running() && !compressed.running());
        QCOMPARE(base.stopReason(), QStringLiteral("stopped"));
        QCOMPARE(compressed.stopReason(), QStringLiteral("stopped"));

        // Cancel while the compressed model still waits its turn: it never starts.
        sbs.setSequential(true);
        QSignalSpy compressed_started(&compressed, &Generator::started);
        QVERIFY(sbs.start(QStringLiteral("Once upon a time")));
        sbs.cancel();
        QTRY_VERIFY(!sbs.running());
        QCOMPARE(compressed_started.count(), 0);

        // Without a compressed model the baseline runs alone.
        compressed.setModel(nullptr);
        QVERIFY(!sbs.available());
        base.setNPredict(8);
        QSignalSpy base_done(&base, &Generator::finished);
        QVERIFY(sbs.start(QStringLiteral("Once upon a time")));
        QVERIFY(base_done.wait(kWaitMs));
        QCOMPARE(compressed_started.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestGuiChat)
#include "test_gui_chat.moc"
