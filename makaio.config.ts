/**
 * The extensions the `makaio` command line boots besides the core, when it
 * runs in this directory without `--config`: the example notes extension.
 */
import { notesExtension } from "./examples/notes/extension.js"

export default { extensions: [notesExtension] }
