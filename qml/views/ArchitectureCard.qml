import QtQuick
import QtQuick.Layouts
import Pareto.Bridge
import Pareto.Theme

// The hyperparameters of the open model, and its tokenizer.
Card {
    id: root
    required property ModelController mc
    readonly property var a: mc.architecture
    readonly property var t: mc.tokenizer
    objectName: "architectureCard"
    title: qsTr("Architecture")
    icon: "layers"

    readonly property var rows: [
        [qsTr("Family"), (a.arch || "") + (a.qkvBias ? qsTr(" · QKV bias") : "")],
        [qsTr("Layers"), a.layers],
        [qsTr("Hidden size"), a.hidden],
        [qsTr("Attention heads"), a.heads + (a.gqa ? qsTr("  (KV %1, GQA)").arg(a.kvHeads) : qsTr("  (KV %1)").arg(a.kvHeads))],
        [qsTr("Head dim"), a.headDim],
        [qsTr("FFN size"), a.ffn],
        [qsTr("Vocabulary"), a.vocab],
        [qsTr("Context (trained)"), a.context],
        [qsTr("RoPE"), a.rope + (a.ropeScaling && a.ropeScaling !== "none" ? ", " + a.ropeScaling : "")],
        [qsTr("Output"), a.tiedOutput ? qsTr("tied to embeddings") : qsTr("separate matrix")],
        [qsTr("Tokenizer"), (t.kind || "") + (t.pre && t.pre !== "default" ? " (" + t.pre + ")" : "")],
    ]

    GridLayout {
        width: parent.width
        columns: 2
        columnSpacing: 16
        rowSpacing: 7
        Repeater {
            model: root.rows.length * 2
            Text {
                required property int index
                readonly property var row: root.rows[Math.floor(index / 2)]
                readonly property bool isLabel: index % 2 === 0
                objectName: isLabel ? "" : "arch_" + Math.floor(index / 2)
                text: isLabel ? row[0] : String(row[1])
                color: isLabel ? Theme.textDim : Theme.text
                font.pixelSize: Theme.fontSm
                font.family: isLabel ? font.family : Theme.mono
                Layout.fillWidth: !isLabel
                elide: Text.ElideRight
            }
        }
    }
}
