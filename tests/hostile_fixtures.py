"""Invented inputs shared by the issue-12 tests (hostile or unusual corpus files)."""

from __future__ import annotations

TOPICS = [
    ("microglial Iba-1 staining in the dorsal horn", "Iba-1"),
    ("astrocyte GFAP in the spinal cord", "GFAP"),
    ("serum BDNF in patients with central pain", "BDNF"),
    ("hippocampal TNF-α after nerve ligation", "TNF-α"),
    ("P2X4 receptors on spinal microglia", "P2X4"),
]


def pubmed_set(n: int = 5) -> bytes:
    """An invented PubmedArticleSet with ``n`` records (PMIDs 90000001…), each with its own marker."""
    recs = []
    for i, (topic, marker) in enumerate(TOPICS[:n], 1):
        recs.append(f"""<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">9000000{i}</PMID><Article PubModel="Print"><Journal><Title>Journal of Invented Results</Title>
<JournalIssue><PubDate><Year>{2015 + i}</Year></PubDate></JournalIssue><ISOAbbreviation>J Invent Res</ISOAbbreviation>
</Journal><ArticleTitle>Invented record {i} on {topic}.</ArticleTitle><Abstract>
<AbstractText Label="RESULTS">Ten sessions of 10 Hz stimulation changed {marker} levels in record {i}; the change
was about {10 * i} percent against sham animals in this invented study.</AbstractText></Abstract>
<AuthorList><Author ValidYN="Y"><LastName>Fictus{i}</LastName><ForeName>Ana</ForeName><Initials>A</Initials>
</Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>
<ArticleId IdType="pubmed">9000000{i}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>""")
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>" + "".join(recs)
            + "</PubmedArticleSet>").encode()
