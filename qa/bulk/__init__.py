"""Questions in bulk: the files they come from, the files their answers go to, the grid.

`qa batch`, `qa grid`, `qa eval` and the chat's grid screen share this package:
question files (`questions`), batch result files and how an interrupted run is
resumed (`writers`), asking many questions in chunks with one failure kept from
sinking the rest (`runner`), the extraction grid, every document × every
question (`grid`), its output files (`gridfiles`, `sheets` for xlsx) and the
built-in question sets (`presets`, data in `presets/`). It sits below both
front ends, so that the chat exports a grid with the CLI's own writer code, and
above the core, whose Engine it drives. Its modules import nothing heavy at
import time (the chat imports them before its first paint).
"""
