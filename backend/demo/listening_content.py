"""What people say about the demo companies: topics with keyword rules, text templates in the
company's language, the recurring influential voices, occasional authors' names and where they
write from. Pure data read by ``backend/demo/listening.py``.

Every template of a topic holds one of that topic's keywords in exactly the written form, so the
topic's rule tags it on both engines (SQLite's Porter stemmer and PostgreSQL's dictionaries, or
'simple' for Polish, which has none). ``{}``-fields are filled from ``fill``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    name: str
    keywords: tuple[str, ...]
    # sentiment -> templates; a sentiment with none falls back to ``general`` texts
    texts: dict[str, tuple[str, ...]]
    weight: float = 1.0  # how often it is talked about on an ordinary day
    crisis: bool = False  # the crisis week's topic


@dataclass(frozen=True)
class Voice:
    """An influential author who recurs."""

    name: str
    handle: str
    followers: int
    country: str
    city: str


@dataclass(frozen=True)
class ListeningSpec:
    language: str
    topics: tuple[TopicSpec, ...]
    general: dict[str, tuple[str, ...]]  # untagged texts per sentiment
    fill: dict[str, tuple[str, ...]]
    voices: tuple[Voice, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    # country -> (weight, cities)
    countries: dict[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Northwind Coffee (Swedish)
# --------------------------------------------------------------------------------------------
NORTHWIND_LISTENING = ListeningSpec(
    language="sv",
    topics=(
        TopicSpec("Felmärkt koffeinfritt", ("koffeinfritt", "decaf"), {
            "negative": (
                "Köpte {blend} som koffeinfritt och låg vaken hela natten. Det var inte decaf alls. Vad händer?",
                "Mitt koffeinfritt från Northwind var fullt av koffein, hjärtklappning klockan tre. Inte okej.",
                "Gravid och litade på att det var koffeinfritt. Nu läser jag att påsarna var felmärkta. Arg.",
                "Hur kan man märka vanligt kaffe som decaf? Vill ha pengarna tillbaka för {blend}.",
            ),
            "neutral": (
                "Har någon fått svar om de felmärkta koffeinfritt-påsarna? Vilket bäst före-datum gäller?",
                "Northwind skriver att decaf-påsarna från batch 14 ska returneras. Gäller det prenumerationer också?",
            ),
            "positive": (
                "Fick ett personligt samtal om det felmärkta koffeinfritt och ny påse dagen efter. Snyggt hanterat.",
                "Bra att Northwind sa förlåt direkt om decaf-missen. Sånt bygger förtroende.",
            ),
        }, weight=0.15, crisis=True),
        TopicSpec("Prenumeration", ("prenumeration", "prenumerationen"), {
            "positive": (
                "Min prenumeration på {blend} kom i dag igen, alltid i tid. Bästa morgonen i veckan.",
                "Tips: prenumerationen från Northwind är billigare än att köpa i butik och bönorna är färskrostade.",
            ),
            "neutral": (
                "Går det att pausa prenumerationen över sommaren? Hittar inte knappen.",
                "Hur ofta kan man byta böna i sin prenumeration?",
            ),
            "negative": (
                "Tredje gången prenumerationen kommer sent. Ingen har svarat på mitt mejl.",
                "Blev dragen två gånger för samma prenumeration den här månaden.",
            ),
        }, weight=1.4),
        TopicSpec("Bryggguider", ("bryggguide", "bryggguiden", "aeropress"), {
            "positive": (
                "Följde bryggguiden för {method} och för första gången smakar det som på kaféet.",
                "Den nya bryggguiden om malgrad är guld. Delar med hela familjen.",
                "Äntligen en aeropress-recept som inte blir beskt. Tack {handle_ref}!",
            ),
            "neutral": (
                "Finns bryggguiden för {method} som pdf någonstans?",
                "Vilken malgrad rekommenderar ni till aeropress med {blend}?",
            ),
            "negative": (
                "Bryggguiden säger 18 gram men videon 15. Vilket gäller?",
            ),
        }, weight=1.2),
        TopicSpec("Kaféerna", ("kaféet", "kafé", "barista"), {
            "positive": (
                "Bästa kanelbullen och en {drink} på kaféet på {street}. Baristan mindes mitt namn.",
                "Satt på Northwinds kafé hela förmiddagen och jobbade. Lugnt, gott och trevlig barista.",
            ),
            "neutral": (
                "Har kaféet på {street} öppet på söndagar?",
                "Vilka tider är provningen på kaféet nästa vecka?",
            ),
            "negative": (
                "Kön på kaféet vid {street} var 25 minuter i morse. Behövs en barista till.",
                "Min {drink} på kaféet var ljummen i dag. Synd, brukar vara så bra.",
            ),
        }, weight=1.0),
        TopicSpec("Leverans", ("leverans", "leveransen", "paketet"), {
            "positive": (
                "Snabb leverans, paketet var framme dagen efter beställning.",
            ),
            "neutral": (
                "Vilken fraktfirma använder ni? Spårningen av paketet står still.",
            ),
            "negative": (
                "Leveransen har inte kommit efter en vecka och kundtjänst svarar inte.",
                "Paketet kom trasigt, bönor överallt i brevlådan.",
            ),
        }, weight=0.8),
    ),
    general={
        "positive": ("Northwind Coffee gör Sveriges godaste {blend}. Punkt.", "Tack för snabbt svar i går!",
                     "Ny favorit: {blend} från Northwind."),
        "neutral": ("Någon som testat {blend} från Northwind?",
                    "Northwind Coffee släpper tydligen en ny rostning snart."),
        "negative": ("Priset på {blend} har gått upp igen. Hmm.",),
    },
    fill={
        "blend": ("Ethiopia Guji", "Stockholm Morning", "Colombia Huila", "Kenya Nyeri", "höstblandningen"),
        "method": ("french press", "V60", "mokabryggare", "kallbryggning"),
        "drink": ("cortado", "flat white", "cappuccino", "kallbryggd"),
        "street": ("Södermalm", "Vasagatan", "Odenplan", "Kungsholmen"),
        "handle_ref": ("@northwindcoffee", "Northwind"),
    },
    voices=(
        Voice("Kaffeprofessorn", "@kaffeprofessorn", 48_200, "SE", "Stockholm"),
        Voice("Lena Ek", "@lenaek_mat", 22_400, "SE", "Göteborg"),
        Voice("Jonas Barista", "@jonasbrygger", 15_800, "SE", "Malmö"),
        Voice("Fika Magasinet", "@fikamagasinet", 64_000, "SE", "Stockholm"),
        Voice("Mikkel Brygg", "@mikkelbrygg", 9_300, "DK", "København"),
        Voice("Aino Kahvi", "@ainokahvi", 7_100, "FI", "Helsinki"),
    ),
    first_names=("Anna", "Erik", "Maja", "Lars", "Sara", "Johan", "Elin", "Oskar", "Klara", "Viktor", "Ida",
                 "Gustav", "Linnea", "Filip", "Ebba", "Hugo", "Saga", "Axel", "Wilma", "Nils"),
    last_names=("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
                "Svensson", "Gustafsson", "Lindberg", "Berg", "Holm", "Sandberg", "Ek"),
    countries={"SE": (0.82, ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Umeå")),
               "NO": (0.06, ("Oslo", "Bergen")), "DK": (0.05, ("København", "Aarhus")),
               "FI": (0.05, ("Helsinki", "Turku")), "DE": (0.02, ("Berlin", "Hamburg"))},
)

# --------------------------------------------------------------------------------------------
# Fjord Outdoor (Norwegian Bokmål)
# --------------------------------------------------------------------------------------------
FJORD_LISTENING = ListeningSpec(
    language="nb",
    topics=(
        TopicSpec("Glidelås-tilbakekalling", ("glidelås", "glidelåsen", "tilbakekalling", "tilbakekallingen"), {
            "negative": (
                "Glidelåsen på Lofoten-jakka røk på første tur. {place} i regnvær uten jakke. Takk for ingenting.",
                "Tredje Lofoten-jakke med ødelagt glidelås i familien. Når kommer tilbakekallingen?",
                "Bilder av ødelagt glidelås overalt. Hvorfor har Fjord ikke sagt noe før nå?",
                "Sendte inn jakka til tilbakekalling for to uker siden og har ikke hørt noe.",
            ),
            "neutral": (
                "Gjelder tilbakekallingen alle Lofoten-jakker eller bare de fra i høst?",
                "Hvordan ser jeg om min glidelås er fra den dårlige serien?",
            ),
            "positive": (
                "Fikk ny jakke i butikken på ti minutter etter tilbakekallingen. Ryddig gjort, Fjord.",
                "Bra at Fjord tok ansvar for glidelås-feilen med en gang.",
            ),
        }, weight=0.15, crisis=True),
        TopicSpec("Turforslag", ("turforslag", "rute", "ruten"), {
            "positive": (
                "Gikk ruten til {place} fra Trail Journal i helga. For en utsikt!",
                "Takk for turforslag til {place}, perfekt for familien.",
            ),
            "neutral": (
                "Er ruten til {place} farbar i oktober?",
                "Har dere turforslag for nybegynnere rundt {city}?",
            ),
            "negative": (
                "Ruten i videoen var merket feil, vi gikk oss bort ved {place}.",
            ),
        }, weight=1.2),
        TopicSpec("Reparasjon", ("reparasjon", "reparere", "reparasjonen"), {
            "positive": (
                "Fikk {gear} tilbake fra reparasjon, som ny og gratis. Sånn skal det være.",
                "Reparasjonsguiden viste meg hvordan jeg kunne reparere {gear} selv.",
            ),
            "neutral": (
                "Hvor lang tid tar reparasjon av {gear} for tiden?",
                "Kan man reparere {gear} i butikken i {city}?",
            ),
            "negative": (
                "Seks uker på reparasjonen av {gear}. Trenger den til påske.",
            ),
        }, weight=1.0),
        TopicSpec("Nettbutikk og retur", ("nettbutikken", "retur", "returen"), {
            "positive": ("Enkel retur i nettbutikken, pengene tilbake på to dager.",),
            "neutral": ("Hvordan bytter jeg størrelse på {gear} kjøpt i nettbutikken?",),
            "negative": (
                "Returen min er ikke registrert etter tre uker. Hallo?",
                "Nettbutikken trakk pengene men ordren forsvant.",
            ),
        }, weight=0.8),
        TopicSpec("Ambassadører", ("ambassadør", "ambassadørene"), {
            "positive": (
                "Ambassadørene til Fjord lager de beste turvideoene. Den fra {place} var rå!",
                "Vil bli ambassadør for Fjord neste år. Hvordan søker man?",
            ),
            "neutral": ("Hvem er ambassadør for Fjord i {city}?",),
        }, weight=0.6),
    ),
    general={
        "positive": ("Fjord Outdoor har det beste utstyret for ekte vær.", "Takk for god hjelp i butikken i {city}!",
                     "{gear} fra Fjord har holdt i fem år nå."),
        "neutral": ("Når kommer vinterkolleksjonen til Fjord?", "Har Fjord Outdoor salg snart?"),
        "negative": ("Dyrt, men {gear} er vel verdt det? Usikker.",),
    },
    fill={
        "place": ("Preikestolen", "Trolltunga", "Besseggen", "Romsdalseggen", "Reinebringen", "Galdhøpiggen"),
        "gear": ("Lofoten-jakka", "sovepose", "ryggsekken", "fjellstøvlene", "regnbuksa"),
        "city": ("Oslo", "Bergen", "Trondheim", "Tromsø", "Stavanger"),
    },
    voices=(
        Voice("Fjellfrue", "@fjellfrue", 58_300, "NO", "Tromsø"),
        Voice("Ola Turmann", "@olaturmann", 31_900, "NO", "Bergen"),
        Voice("Friluftsliv i dag", "@friluftslividag", 84_000, "NO", "Oslo"),
        Voice("Kari Vandrer", "@karivandrer", 12_600, "NO", "Trondheim"),
        Voice("Johan Fjäll", "@johanfjall", 18_700, "SE", "Östersund"),
    ),
    first_names=("Ola", "Kari", "Ingrid", "Lars", "Sofie", "Henrik", "Nora", "Magnus", "Emma", "Jonas", "Thea",
                 "Sindre", "Ida", "Eirik", "Marte", "Håkon", "Silje", "Even", "Hanna", "Tor"),
    last_names=("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
                "Jensen", "Berg", "Haugen", "Hagen", "Dahl", "Lie", "Bakken"),
    countries={"NO": (0.80, ("Oslo", "Bergen", "Trondheim", "Tromsø", "Stavanger", "Bodø")),
               "SE": (0.08, ("Stockholm", "Göteborg")), "DK": (0.05, ("København",)),
               "DE": (0.04, ("München", "Berlin")), "GB": (0.03, ("London", "Edinburgh"))},
)

# --------------------------------------------------------------------------------------------
# Vistula Software (Polish)
# --------------------------------------------------------------------------------------------
VISTULA_LISTENING = ListeningSpec(
    language="pl",
    topics=(
        TopicSpec("Awaria", ("awaria", "awarii"), {
            "negative": (
                "Awaria Vistula Route od rana, {n} kierowców stoi na placu. Kiedy to wróci?",
                "Druga godzina awarii i zero informacji na statusie. Dyspozytorzy planują na kartkach.",
                "Po tej awarii zastanawiamy się nad zmianą systemu. Sześć godzin bez planowania tras.",
                "Awaria w najgorszym możliwym momencie, poniedziałek rano. Klienci dzwonią.",
            ),
            "neutral": (
                "Czy ktoś wie, co było przyczyną awarii Vistula Route?",
                "Vistula obiecuje raport po awarii w piątek. Czekamy.",
            ),
            "positive": (
                "Uczciwy raport po awarii od Vistula. Rzadko się to widzi u dostawców.",
                "Po awarii dostaliśmy telefon od zespołu i rabat. Doceniamy.",
            ),
        }, weight=0.15, crisis=True),
        TopicSpec("Planowanie tras", ("trasy", "tras", "planowanie"), {
            "positive": (
                "Dzięki Vistula Route mamy {pct}% mniej pustych kilometrów. Planowanie tras zajmuje minuty.",
                "Nowa optymalizacja tras w Vistula Route działa świetnie przy dostawach do {city}.",
            ),
            "neutral": (
                "Czy planowanie tras w Vistula uwzględnia okna czasowe klientów?",
                "Porównujemy narzędzia do planowania tras. Ktoś używa Vistula Route w {city}?",
            ),
            "negative": (
                "Planowanie tras dla chłodni nadal bez limitów temperatury. Kiedy?",
            ),
        }, weight=1.3),
        TopicSpec("Aplikacja kierowcy", ("aplikacja", "aplikacji", "aplikację"), {
            "positive": (
                "Kierowcy chwalą nową aplikację, nawigacja wreszcie bez zacięć.",
                "Beta aplikacji dla dyspozytorów wygląda obiecująco.",
            ),
            "neutral": ("Czy aplikacja działa offline na trasie przez {region}?",),
            "negative": (
                "Aplikacja kierowcy wylogowuje się co godzinę. Bardzo irytujące.",
                "Po aktualizacji aplikacji zdjęcia dowodu dostawy się nie wysyłają.",
            ),
        }, weight=1.0),
        TopicSpec("Webinary", ("webinar", "webinaru", "webinarze"), {
            "positive": (
                "Świetny webinar o optymalizacji tras z Baltic Freight. Konkretne liczby.",
                "Na webinarze Vistula pokazali, jak liczyć koszt pustego przebiegu. Polecam.",
            ),
            "neutral": ("Będzie nagranie z webinaru o dyspozytorni?",),
        }, weight=0.7),
        TopicSpec("Integracje", ("integracja", "integracji", "api"), {
            "positive": ("Integracja z naszym WMS przez API zajęła dwa dni. Dobra dokumentacja.",),
            "neutral": ("Czy jest integracja Vistula Route z SAP?", "Jaki jest limit zapytań w API Vistula?"),
            "negative": ("Integracja z telematyką gubi pozycje pojazdów od wczoraj.",),
        }, weight=0.7),
    ),
    general={
        "positive": ("Vistula Software to rzetelny partner, polecam.", "Dzięki za szybką odpowiedź wsparcia!"),
        "neutral": ("Vistula Software będzie na targach w Warszawie?",
                    "Ktoś zna cennik Vistula Route dla 50 pojazdów?"),
        "negative": ("Wsparcie Vistula odpisuje wolno w tym tygodniu.",),
    },
    fill={
        "n": ("40", "60", "85", "120"),
        "pct": ("12", "15", "18", "21"),
        "city": ("Warszawy", "Gdańska", "Poznania", "Łodzi", "Wrocławia"),
        "region": ("Bieszczady", "Mazury", "Kaszuby"),
    },
    voices=(
        Voice("Logistyka Dziś", "@logistykadzis", 41_000, "PL", "Warszawa"),
        Voice("Agnieszka Transport", "@aga_transport", 12_300, "PL", "Poznań"),
        Voice("TransIT Review", "@transitreview", 26_500, "DE", "Berlin"),
        Voice("Marek Spedycja", "@marekspedycja", 8_700, "PL", "Gdańsk"),
        Voice("Baltic Freight", "@balticfreight", 5_400, "LT", "Vilnius"),
    ),
    first_names=("Anna", "Piotr", "Katarzyna", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Michał", "Joanna",
                 "Krzysztof", "Monika", "Marcin", "Ewa", "Jakub", "Barbara", "Łukasz"),
    last_names=("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
                "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"),
    countries={"PL": (0.75, ("Warszawa", "Kraków", "Gdańsk", "Poznań", "Wrocław", "Łódź")),
               "DE": (0.08, ("Berlin", "Hamburg")), "LT": (0.06, ("Vilnius", "Kaunas")),
               "CZ": (0.05, ("Praha", "Brno")), "SK": (0.03, ("Bratislava",)), "UA": (0.03, ("Lviv",))},
)

LISTENING = {"Northwind Coffee": NORTHWIND_LISTENING, "Fjord Outdoor": FJORD_LISTENING,
             "Vistula Software": VISTULA_LISTENING}
