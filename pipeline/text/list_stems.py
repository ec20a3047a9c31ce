"""The stems Snowball's and Lancaster's stemmers make of detect's fixed lists, as NLTK 3.9.2 makes them,
where a stem is not the word; written by data/recipes/list_stems.py. Generated: do not edit."""
CHANGED_STEMS: dict[str, str] = {
    'snowball-english': (
        'above=abov any=ani because=becaus before=befor being=be does=doe doing=do during=dure having=have '
        'hers=her its=it once=onc only=onli ours=our ourselves=ourselv theirs=their themselves=themselv '
        'very=veri why=whi yours=your yourselves=yourselv '
    ),
    'lancaster': (
        'above=abov after=aft all=al are=ar aren=ar because=becaus before=bef does=doe during=dur '
        'further=furth have=hav haven=hav having=hav here=her hers=her its=it more=mor once=ont only=on '
        'other=oth ours=our ourselves=ourselv over=ov same=sam some=som theirs=their themselves=themselv '
        'there=ther these=thes this=thi those=thos under=und were=wer weren=wer where=wher while=whil '
        'will=wil your=yo yours=yo yourselves=yourselv '
    ),
}
LIST_STEMS = {stemmer: dict(pair.split("=") for pair in pairs.split())
              for stemmer, pairs in CHANGED_STEMS.items()}
