import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import QtQuick.Dialogs
import Pareto.Bridge
import Pareto.Theme

// Profile: where the time and memory of one generation go. Profiles the loaded
// model (or opens a run from a trace), then shows the latency tiles, the op
// timeline, the flame view of one step, time per op kind and per layer, the memory
// breakdown and the accuracy record.
Item {
    id: root
    required property Workbench workbench
    readonly property ProfileController pc: workbench.profiler
    objectName: "profilePage"

    FileDialog {
        id: openDialog
        title: qsTr("Open a run from a trace")
        nameFilters: [qsTr("Pareto traces (*.h5 *.hdf5)"), qsTr("All files (*)")]
        onAccepted: root.pc.openRun(selectedFile.toString(), "")
    }
    FileDialog {
        id: traceDialog
        title: qsTr("Append profiles to this trace")
        fileMode: FileDialog.SaveFile
        nameFilters: [qsTr("Pareto traces (*.h5)")]
        options: FileDialog.DontConfirmOverwrite
        onAccepted: root.pc.tracePath = selectedFile.toString()
    }

    Flickable {
        id: flick
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight + 40
        clip: true
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: column
            x: 24
            y: 20
            width: flick.width - 48
            spacing: Theme.gap

            RowLayout {  // title, what is shown
                Layout.fillWidth: true
                spacing: 12
                Text { text: qsTr("Profile"); color: Theme.text; font.pixelSize: 22; font.weight: Font.DemiBold }
                Chip {
                    objectName: "profileRunChip"
                    visible: root.pc.hasRun
                    text: (root.pc.runInfo.name || qsTr("unsaved run")) + " · " + (root.pc.runInfo.model || "")
                          + (root.pc.runInfo.type ? " · " + root.pc.runInfo.type : "")
                    icon: "profile"
                    tint: Theme.accent
                }
                Text {
                    visible: root.pc.hasRun
                    text: (root.pc.runInfo.source || qsTr("not stored")) + " · " + (root.pc.runInfo.created || "")
                          + " · " + qsTr("threads: %1").arg(root.pc.runInfo.threads || 0) + " · " + (root.pc.runInfo.simd || "")
                    color: Theme.textFaint
                    font.pixelSize: Theme.fontSm
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Item { visible: !root.pc.hasRun; Layout.fillWidth: true }
                Button {
                    objectName: "openRunButton"
                    text: qsTr("Open run…")
                    flat: true
                    enabled: !root.pc.busy
                    onClicked: openDialog.open()
                }
            }

            ProfileControls {
                Layout.fillWidth: true
                pc: root.pc
                workbench: root.workbench
                onChooseTrace: traceDialog.open()
            }

            Banner {
                Layout.fillWidth: true
                text: root.pc.error
                onClosed: root.pc.clearError()
            }

            EmptyState {
                Layout.fillWidth: true
                Layout.preferredHeight: 280
                visible: !root.pc.hasRun
                icon: "profile"
                title: root.pc.hasModel ? qsTr("Profile %1").arg(root.pc.modelName) : qsTr("Nothing profiled yet")
                text: root.pc.hasModel
                      ? qsTr("Profile runs one generation with every op timed: the timeline of its tokens, a flame view of each step, time per op and per layer, memory by owner. Runs can be stored in an HDF5 trace and compared on the Runs page.")
                      : qsTr("Load a model on the Model page to profile it, or open a run stored in a trace (pareto-cli profile --trace, or an earlier profile here).")
                actionText: root.pc.hasModel ? "" : qsTr("Go to the Model page")
                onAction: root.workbench.page = "model"
            }

            LatencyTiles {
                Layout.fillWidth: true
                visible: root.pc.hasRun
                pc: root.pc
            }

            TimelineCard {
                Layout.fillWidth: true
                Layout.preferredHeight: 190
                visible: root.pc.hasRun
                pc: root.pc
            }

            RowLayout {
                Layout.fillWidth: true
                visible: root.pc.hasRun
                spacing: Theme.gap
                FlameCard {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 3
                    Layout.preferredHeight: 280
                    pc: root.pc
                }
                OpBarsCard {
                    objectName: "kindBars"
                    Layout.fillWidth: true
                    Layout.preferredWidth: 2
                    Layout.preferredHeight: 280
                    title: qsTr("By op kind")
                    pc: root.pc
                    bars: root.pc.kindBars
                }
                OpBarsCard {
                    objectName: "layerBars"
                    Layout.fillWidth: true
                    Layout.preferredWidth: 2
                    Layout.preferredHeight: 280
                    title: qsTr("By layer")
                    pc: root.pc
                    bars: root.pc.layerBars
                }
            }

            RowLayout {
                Layout.fillWidth: true
                visible: root.pc.hasRun
                spacing: Theme.gap
                RunMemoryCard {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 3
                    Layout.fillHeight: true
                    pc: root.pc
                }
                AccuracyCard {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 2
                    Layout.fillHeight: true
                    pc: root.pc
                }
            }
        }
    }
}
