"""What the demo data set says: projects a Finnish museum could run, real places in Finnish and English, and
memories and comments people could have written (`muistot-dev seed --demo`; `muistot_tooling.seed` decides how many).

Each project is a theme in a town: its places are the town's landmarks first, then street addresses. Stories
are put together from sentences that fit any place, told at a year and by a person; most are in Finnish.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

# (Finnish name, English name, kind of building for its photo)
Place = tuple[str, str, str]


@dataclass(frozen=True)
class Theme:
    slug: str
    fi: tuple[str, str]  # name, abstract
    en: tuple[str, str]
    town: tuple[float, float]  # lat, lon
    years: tuple[int, int]
    places: tuple[Place, ...]
    streets: tuple[str, ...]


THEMES = (
    Theme("helsinki-1952", ("Helsingin olympiakesä 1952", "Muistoja kisakesästä, jolloin maailma tuli Helsinkiin."),
          ("Helsinki's Olympic summer 1952", "Memories of the summer the world came to Helsinki."),
          (60.1699, 24.9384), (1948, 1956),
          (("Olympiastadion", "Olympic Stadium", "stadium"), ("Uimastadion", "Swimming Stadium", "stadium"),
           ("Kauppatori", "Market Square", "harbour"), ("Käpylän kisakylä", "Olympic Village in Käpylä", "house"),
           ("Rautatieasema", "Railway Station", "factory"), ("Lasipalatsi", "Glass Palace", "school"),
           ("Kaivopuisto", "Kaivopuisto Park", "house"), ("Messuhalli", "Exhibition Hall", "factory"),
           ("Linnanmäki", "Linnanmäki amusement park", "mill"), ("Tuomiokirkko", "Helsinki Cathedral", "church")),
          ("Mannerheimintie", "Aleksanterinkatu", "Töölönkatu", "Bulevardi")),
    Theme("tampere-tehtaat", ("Tampereen tehtaiden äänet", "Kun koski pyöritti kutomoita ja pillit soivat."),
          ("The sounds of Tampere's mills", "When the rapids turned the looms and the whistles blew."),
          (61.4978, 23.7610), (1930, 1985),
          (("Finlaysonin tehdas", "Finlayson mill", "factory"),
           ("Tampellan kutomo", "Tampella weaving mill", "factory"),
           ("Tammerkoski", "Tammerkoski rapids", "mill"), ("Pispalanharju", "Pispala ridge", "house"),
           ("Hämeensilta", "Hämeensilta bridge", "harbour"), ("Kauppahalli", "Market Hall", "school"),
           ("Pyynikin näkötorni", "Pyynikki observation tower", "lighthouse"),
           ("Amurin työläiskortteli", "Amuri workers' block", "house"), ("Laukontori", "Laukontori harbour", "harbour"),
           ("Aleksanterin kirkko", "Alexander Church", "church")),
          ("Hämeenkatu", "Satakunnankatu", "Puuvillatehtaankatu", "Pispalan valtatie")),
    Theme("turun-saaristo", ("Turun saariston kesät", "Lossit, laiturit ja mökkien kesät saaristomerellä."),
          ("Summers in the Turku archipelago", "Ferries, jetties and cottage summers in the Archipelago Sea."),
          (60.3000, 22.3000), (1950, 1995),
          (("Nauvon satama", "Nagu harbour", "harbour"),
           ("Paraisten kalkkilouhos", "Pargas limestone quarry", "factory"),
           ("Korppoon kirkko", "Korpo church", "church"), ("Ruissalon kylpylä", "Ruissalo spa", "house"),
           ("Turun linna", "Turku Castle", "church"), ("Utön majakka", "Utö lighthouse", "lighthouse"),
           ("Houtskarin lossi", "Houtskär ferry", "harbour"), ("Seilin saari", "Seili island", "house"),
           ("Aurajoen ranta", "Aura riverside", "harbour"), ("Airiston ranta", "Airisto shore", "house")),
          ("Linnankatu", "Läntinen Rantakatu", "Saaristotie", "Rantatie")),
    Theme("oulu-terva", ("Oulun tervasta teknologiaan", "Tervahovien, uittojen ja torin kaupunki."),
          ("Oulu, from tar to technology", "A town of tar yards, log drives and its market square."),
          (65.0121, 25.4651), (1935, 2000),
          (("Oulun kauppatori", "Oulu market square", "harbour"), ("Pikisaari", "Pikisaari island", "house"),
           ("Merikoski", "Merikoski rapids", "mill"), ("Hupisaaret", "Hupisaaret islands", "house"),
           ("Nallikarin ranta", "Nallikari beach", "lighthouse"), ("Oulun tuomiokirkko", "Oulu Cathedral", "church"),
           ("Tervahovi", "The tar yard", "factory"), ("Linnansaari", "Castle island", "house"),
           ("Oulun rautatieasema", "Oulu railway station", "factory"),
           ("Toppilan satama", "Toppila harbour", "harbour")),
          ("Kirkkokatu", "Kauppurienkatu", "Isokatu", "Rantakatu")),
    Theme("lapin-kylat", ("Lapin kylien muistot", "Poroerotukset, kyläkoulut ja tunturien talvet."),
          ("Memories of Lapland's villages", "Reindeer round-ups, village schools and winters on the fells."),
          (67.4167, 26.5833), (1945, 1990),
          (("Sodankylän vanha kirkko", "Sodankylä old church", "church"), ("Inarin kirkko", "Inari church", "church"),
           ("Pyhätunturi", "Pyhätunturi fell", "house"), ("Ounasjoen uittopaikka", "Ounasjoki log drive", "mill"),
           ("Kemijoen lossi", "Kemijoki ferry", "harbour"), ("Saariselän kota", "Saariselkä hut", "house"),
           ("Poroerotusaita", "Reindeer round-up fence", "house"), ("Kyläkoulu", "Village school", "school"),
           ("Postitalo", "Post office", "house"), ("Rovaniemen asema", "Rovaniemi station", "factory")),
          ("Kylätie", "Koulutie", "Tunturitie", "Jokivarrentie")),
    Theme("jyvaskyla-lavat", ("Jyväskylän tanssilavat", "Lavatanssit, kesäteatterit ja Harjun portaat."),
          ("Jyväskylä's dance pavilions", "Pavilion dances, summer theatres and the Harju steps."),
          (62.2426, 25.7473), (1950, 1980),
          (("Harjun portaat", "Harju steps", "house"), ("Lutakon satama", "Lutakko harbour", "harbour"),
           ("Säynätsalon kunnantalo", "Säynätsalo Town Hall", "school"), ("Vaajakosken tanssilava",
                                                                         "Vaajakoski dance pavilion", "house"),
           ("Jyväsjärven ranta", "Jyväsjärvi shore", "harbour"), ("Kirkkopuisto", "Church park", "church"),
           ("Laajavuoren hyppyrimäki", "Laajavuori ski jump", "lighthouse"), ("Kuokkalan kartano", "Kuokkala manor",
                                                                          "house"),
           ("Seminaarinmäki", "Seminary hill", "school"), ("Kesäteatteri", "Summer theatre", "house")),
          ("Kauppakatu", "Kilpisenkatu", "Vapaudenkatu", "Yliopistonkatu")),
)

WHO = (("isoäiti", "my grandmother"), ("isoisä", "my grandfather"), ("äiti", "my mother"), ("isä", "my father"),
       ("naapurin poika", "the neighbour's boy"), ("serkkuni", "my cousin"), ("opettajamme", "our teacher"),
       ("tätini", "my aunt"), ("enoni", "my uncle"), ("ystäväni Liisa", "my friend Liisa"))
TITLES = (("Kesä {year}", "Summer {year}"), ("Ensimmäinen kerta paikassa {place}", "The first time at {place}"),
          ("{who_cap} ja {place}", "{who_cap} and {place}"), ("Talvi-ilta {year}", "A winter evening in {year}"),
          ("Muisto vuodelta {year}", "A memory from {year}"), ("Kun {who} vei meidät", "When {who} took us there"))
SENTENCES = (
    ("Kesällä {year} {who} vei minut ensimmäistä kertaa paikkaan {place}.",
     "In the summer of {year} {who} took me to {place} for the first time."),
    ("Muistan vieläkin tervan ja kahvin tuoksun.", "I can still remember the smell of tar and coffee."),
    ("Seisoimme jonossa tuntikausia, mutta kukaan ei valittanut.", "We queued for hours, but nobody complained."),
    ("Illalla soitettiin haitaria ja nuoret tanssivat.", "In the evening someone played the accordion and the "
                                                         "young people danced."),
    ("{who_cap} osti minulle jäätelön, jonka pudotin heti maahan.", "{who_cap} bought me an ice cream that I "
                                                                    "dropped on the ground at once."),
    ("Talvella kuljimme sinne suksilla järven jään yli.", "In winter we went there on skis across the frozen lake."),
    ("Valokuva on otettu isän vanhalla kameralla.", "The photo was taken with father's old camera."),
    ("Sittemmin paikka on muuttunut paljon, mutta tunnistan sen aina.", "The place has changed a lot since, but I "
                                                                        "always recognise it."),
    ("Sinne lähdettiin aina juhannuksena koko suvun voimin.", "The whole family went there every Midsummer."),
    ("Sodan jälkeen siellä rakennettiin uutta, ja me lapset katselimme.", "After the war they were building there, "
                                                                          "and we children watched."),
    ("Tapasin siellä tulevan puolisoni.", "That is where I met my future spouse."),
    ("Vieläkin kuulen laivan pillin, kun ajattelen sitä päivää.", "I still hear the ship's whistle when I think "
                                                                  "of that day."),
)
COMMENTS = ("Muistan saman!", "Kiitos tästä muistosta.", "Isoisäni oli siellä myös.", "Ihana kuva!",
            "Olin silloin kuusivuotias, ja juuri noin se meni.", "Tunnistan talon, asuimme vieressä.",
            "Tämä toi kyyneleet silmiin.", "Onpa hienosti kerrottu.", "Kävimme siellä joka kesä.",
            "What a lovely memory, thank you.", "My mother told me the same story.", "I remember that summer too!")
FIRST_NAMES = ("Aino", "Eino", "Helmi", "Toivo", "Kerttu", "Väinö", "Liisa", "Matti", "Anneli", "Pekka", "Sirkka",
               "Juhani", "Marjatta", "Tapio", "Ritva", "Kalevi", "Leena", "Heikki", "Pirjo", "Antti")
SURNAMES = ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
            "Järvinen", "Lehtonen")


def slug(text: str) -> str:
    """`Käpylän kisakylä` → `kapylan-kisakyla`: a site id (`[A-Za-z0-9_-]{4,250}`) from a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:200] or "paikka"


@dataclass(frozen=True)
class DemoSite:
    slug: str
    names: dict[str, str]
    kind: str
    lat: float
    lon: float


class MuseumTexts:
    """The texts and places of the demo, drawn from the catalogue above with one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def theme(self, number: int) -> Theme:
        return THEMES[number % len(THEMES)]

    def project_info(self, theme: Theme, lang: str, round_: int) -> dict[str, str]:
        name, abstract = theme.fi if lang == "fi" else theme.en
        if round_:
            name = f"{name} ({round_ + 1})"
        places = ", ".join(place[0 if lang == "fi" else 1] for place in theme.places[:3])
        description = (f"{abstract} Kerro oma muistosi paikoista kuten {places}." if lang == "fi" else
                       f"{abstract} Tell your own memory of places such as {places}.")
        return {"name": name, "abstract": abstract, "description": description}

    def site(self, theme: Theme, index: int) -> DemoSite:
        """The `index`th place of the theme: a landmark, or once they are used up, a street address."""
        if index < len(theme.places):
            fi, en, kind = theme.places[index]
            names = {"fi": fi, "en": en}
        else:
            street = theme.streets[index % len(theme.streets)]
            number = 1 + (index - len(theme.places)) // len(theme.streets) * 2 + index % 2
            names = {"fi": f"{street} {number}", "en": f"{street} {number}"}
            kind = self.rng.choice(("house", "house", "school", "factory"))
        lat = theme.town[0] + self.rng.uniform(-0.04, 0.04)
        lon = theme.town[1] + self.rng.uniform(-0.08, 0.08)
        return DemoSite(slug=slug(names["fi"]) + ("" if index < len(theme.places) else f"-{index}"),
                        names=names, kind=kind, lat=round(lat, 6), lon=round(lon, 6))

    def site_info(self, site: DemoSite, lang: str) -> dict[str, str]:
        name = site.names[lang]
        if lang == "fi":
            abstract = f"{name}: muistoja ja kuvia vuosien varrelta."
            description = f"{name} on monelle tuttu paikka. Jaa oma muistosi ja vanhat valokuvasi."
        else:
            abstract = f"{name}: memories and pictures over the years."
            description = f"{name} is a place many people know. Share your own memory and your old photographs."
        return {"name": name, "abstract": abstract, "description": description}

    def memory(self, theme: Theme, site: DemoSite) -> tuple[dict[str, str], int]:
        """A memory's title and story (Finnish four times in five) and the year it tells of."""
        lang = 0 if self.rng.random() < 0.8 else 1
        year = self.rng.randint(*theme.years)
        who = self.rng.choice(WHO)[lang]
        fill = {"year": year, "who": who, "who_cap": who[:1].upper() + who[1:], "place": site.names["fi" if lang == 0
                                                                                                  else "en"]}
        title = self.rng.choice(TITLES)[lang].format(**fill)
        sentences = [SENTENCES[0][lang]] + [pair[lang] for pair in self.rng.sample(SENTENCES[1:], 3)]
        return {"title": title[:200], "story": " ".join(sentence.format(**fill) for sentence in sentences)}, year

    def comment(self) -> str:
        return self.rng.choice(COMMENTS)

    def username(self, index: int, run: str) -> str:
        first, surname = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
        return f"{first} {surname[0]}. {run}{index}"
