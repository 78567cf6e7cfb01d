"""Study records: one typed record per paper (design, population, sizes, control, stimulation, findings), each
value tied to the sentence it was read from. Built at index time (``extract``), stored beside the chunks."""
